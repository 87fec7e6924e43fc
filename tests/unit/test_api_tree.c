/*
 * The whole account (SPEC §7) in api/: the workspace and children list
 * pages (lastKey paging, resourceType), and reports: the report parser
 * over several pages, the row count rule, the feed, and the files rendered
 * from a parsed report against spec_render's bytes.
 */
#include "api/feed.h"
#include "api/model.h"
#include "api/parse.h"
#include "api/report.h"
#include "api/sheet_parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "tests/unit/testlib.h"
#include "util/log.h"
#include "util/sbuf.h"

/* ---- children and workspace pages ---- */

/* What an output parameter holds until a parser writes it. */
static char untouched[] = "untouched";

static int children(const char *json, struct model_sheet_list *acc, char **key)
{
	return api_parse_children_page(json, strlen(json), acc, key);
}

static void check_entry(const struct model_sheet_list *l, size_t i,
			enum model_kind kind, int64_t id, const char *name)
{
	CHECK(i < l->count);
	if (i >= l->count)
		return;
	CHECK_INT(l->items[i].kind, kind);
	CHECK(l->items[i].id == id);
	CHECK_STR(l->items[i].name, name);
}

/* Three pages as a folder may come: an empty one that still has a
 * lastKey, a short one with sights and templates among its items, the
 * last one without lastKey. */
static void test_api_tree_children_pages(void)
{
	struct model_sheet_list l = {NULL, 0};
	char *key = NULL;

	CHECK_INT(children("{\"data\":[],\"lastKey\":\"k1\"}", &l, &key), 0);
	CHECK_INT(l.count, 0);
	CHECK_STR(key, "k1");
	free(key);
	key = NULL;
	CHECK_INT(
	    children("{\"data\":["
		     "{\"resourceType\":\"sheet\",\"id\":9007199254740993,"
		     "\"name\":\"Plan \\u00e9\\\"/x\",\"accessLevel\":"
		     "\"OWNER\",\"permalink\":\"https://a/s\","
		     "\"source\":{\"id\":1,\"type\":\"sheet\"}},"
		     "{\"resourceType\":\"sight\",\"id\":2,\"name\":\"D\"},"
		     "{\"id\":9223372036854775807,\"name\":\"Sub\","
		     "\"resourceType\":\"folder\"},"
		     "{\"resourceType\":\"template\",\"id\":3,\"name\":\"T\"},"
		     "{\"resourceType\":\"calendar\",\"id\":4,\"name\":\"C\"},"
		     "{\"resourceType\":\"report\",\"id\":5,\"name\":null,"
		     "\"accessLevel\":\"VIEWER\"}],"
		     "\"lastKey\":\"a+b/c=\"}",
		     &l, &key),
	    0);
	CHECK_STR(key, "a+b/c=");
	free(key);
	key = untouched;
	CHECK_INT(children("{\"lastKey\":null,\"data\":[{\"resourceType\":"
			   "\"sheet\",\"id\":-7,\"name\":\"last\"}]}",
			   &l, &key),
		  0);
	CHECK(key == NULL);
	CHECK_INT(l.count, 4);
	check_entry(&l, 0, MODEL_KIND_SHEET, 9007199254740993, "Plan é\"/x");
	check_entry(&l, 1, MODEL_KIND_FOLDER, INT64_MAX, "Sub");
	check_entry(&l, 2, MODEL_KIND_REPORT, 5, "");
	check_entry(&l, 3, MODEL_KIND_SHEET, -7, "last");
	if (l.count == 4) {
		CHECK_STR(l.items[0].access_level, "OWNER");
		CHECK_STR(l.items[0].permalink, "https://a/s");
		CHECK(l.items[1].permalink == NULL);
		CHECK(l.items[1].access_level == NULL);
		CHECK_STR(l.items[2].access_level, "VIEWER");
		CHECK_INT(l.items[0].version, -1);
	}
	model_sheet_list_release(&l);
	model_sheet_list_release(&l);
}

static void test_api_tree_last_key_forms(void)
{
	static const struct {
		const char *json, *key; /* key NULL: the last page */
	} t[] = {
	    {"{\"data\":[]}", NULL},
	    {"{\"data\":[],\"lastKey\":null}", NULL},
	    {"{\"data\":[],\"lastKey\":\"\"}", NULL},
	    {"{\"lastKey\":\"x\\\"y\\\\z\\u00e9\",\"data\":[]}", "x\"y\\zé"},
	    {"{\"data\":[],\"lastKey\":12345678901234567890}",
	     "12345678901234567890"},
	    {"{\"data\":[],\"lastKey\":\"k\",\"pageNumber\":1,"
	     "\"totalPages\":9}",
	     "k"},
	};
	struct model_sheet_list l = {NULL, 0};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		char *key = untouched;

		CHECK_INT(children(t[i].json, &l, &key), 0);
		if (t[i].key) {
			CHECK_STR(key, t[i].key);
			free(key);
		} else {
			CHECK(key == NULL);
		}
		key = untouched;
		CHECK_INT(api_parse_workspace_page(t[i].json, strlen(t[i].json),
						   &l, &key),
			  0);
		if (t[i].key) {
			CHECK_STR(key, t[i].key);
			free(key);
		} else {
			CHECK(key == NULL);
		}
	}
	CHECK_INT(l.count, 0);
	model_sheet_list_release(&l);
}

static void test_api_tree_children_bad(void)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"lastKey\":\"k\"}",
	    "{\"data\":{}}",
	    "{\"data\":null}",
	    "{\"data\":[1]}",
	    "{\"data\":[{\"id\":1,\"name\":\"no type\"}]}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"name\":\"no id\"}]}",
	    "{\"data\":[{\"resourceType\":5,\"id\":1}]}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"id\":\"1\"}]}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"id\":1.5}]}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"id\":"
	    "9223372036854775808}]}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"id\":1,\"name\":2}]}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"id\":1,"
	    "\"permalink\":[]}]}",
	    "{\"data\":[],\"lastKey\":{}}",
	    "{\"data\":[],\"lastKey\":true}",
	    "{\"data\":[{\"resourceType\":\"sheet\",\"id\":1}]",
	};
	struct model_sheet_list l = {NULL, 0};
	char *key = NULL;
	size_t i;

	CHECK_INT(children("{\"data\":[{\"resourceType\":\"folder\","
			   "\"id\":1}]}",
			   &l, &key),
		  0);
	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		char *k = untouched;
		int rc = children(bad[i], &l, &k);

		if (rc != -EIO)
			fprintf(stderr, "  case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, -EIO);
		CHECK_STR(k, "untouched");
	}
	/* Failures leave what the pages before gave. */
	CHECK_INT(l.count, 1);
	model_sheet_list_release(&l);
}

/* Workspaces carry no resourceType: every item is one, whatever it says. */
static void test_api_tree_workspace_page(void)
{
	static const char page[] =
	    "{\"data\":[{\"id\":1100000000000001,\"name\":\"Eng/Ops\","
	    "\"accessLevel\":\"ADMIN\",\"permalink\":\"https://a/w\"},"
	    "{\"id\":9007199254740993,\"name\":\"W2\","
	    "\"resourceType\":\"sight\"}],\"lastKey\":\"next\"}";
	struct model_sheet_list l = {NULL, 0};
	char *key = NULL;

	CHECK_INT(api_parse_workspace_page(page, strlen(page), &l, &key), 0);
	CHECK_STR(key, "next");
	check_entry(&l, 0, MODEL_KIND_WORKSPACE, 1100000000000001, "Eng/Ops");
	check_entry(&l, 1, MODEL_KIND_WORKSPACE, 9007199254740993, "W2");
	if (l.count == 2) {
		CHECK_STR(l.items[0].access_level, "ADMIN");
		CHECK_STR(l.items[0].permalink, "https://a/w");
	}
	free(key);
	model_sheet_list_release(&l);
}

/* /sheets and /reports pages now give permalinks too. */
static void test_api_tree_index_permalink(void)
{
	static const char page[] =
	    "{\"pageNumber\":1,\"totalPages\":1,\"data\":[{\"id\":1,"
	    "\"name\":\"R\",\"permalink\":\"https://a/r\"},{\"id\":2,"
	    "\"name\":\"S\",\"permalink\":null}]}";
	struct model_sheet_list l = {NULL, 0};
	int64_t pg = 0, total = 0;

	CHECK_INT(
	    api_parse_sheet_list_page(page, strlen(page), &l, &pg, &total), 0);
	CHECK_INT(l.count, 2);
	if (l.count == 2) {
		CHECK_INT(l.items[0].kind, MODEL_KIND_SHEET);
		CHECK_STR(l.items[0].permalink, "https://a/r");
		CHECK(l.items[1].permalink == NULL);
	}
	model_sheet_list_release(&l);
}

/* ---- reports ---- */

/*
 * A report in two pages. Page 1: header, columns (the "Sheet Name" column,
 * two columns titled "Task", one with the largest virtualId, columns
 * titled like NDJSON's keys), two rows; its Sheet Name cells have no
 * columnId, and the other cells' columnIds are other columns' virtualIds
 * (they must be ignored). Page 2: a different name and other columns
 * (skipped), two more rows, one without sheetId.
 */
static const char report_p1[] =
    "{\"id\":9007199254740993,\"name\":\"Rollup \\\"Q1\\\"\","
    "\"totalRowCount\":4,\"accessLevel\":\"OWNER\","
    "\"permalink\":\"https://app.smartsheet.com/b/home?lx=r\","
    "\"modifiedAt\":\"2024-01-02T03:04:05Z\",\"columns\":["
    "{\"virtualId\":11,\"index\":0,\"title\":\"Sheet Name\","
    "\"type\":\"TEXT_NUMBER\",\"sheetNameColumn\":true},"
    "{\"virtualId\":21,\"index\":1,\"title\":\"Task\","
    "\"type\":\"TEXT_NUMBER\",\"primary\":true},"
    "{\"virtualId\":9223372036854775807,\"title\":\"Task\","
    "\"type\":\"TEXT_NUMBER\"},"
    "{\"virtualId\":23,\"title\":\"_sheetId\",\"type\":\"CHECKBOX\"},"
    "{\"virtualId\":24,\"title\":\"_parentId\",\"type\":\"TEXT_NUMBER\","
    "\"hidden\":true},"
    "{\"virtualId\":25,\"title\":\"Tags\",\"type\":\"MULTI_PICKLIST\"}],"
    "\"rows\":["
    "{\"id\":31,\"sheetId\":9007199254740995,\"rowNumber\":1,\"cells\":["
    "{\"virtualColumnId\":11,\"value\":\"Plan, A\","
    "\"displayValue\":\"Plan, A\"},"
    "{\"virtualColumnId\":21,\"columnId\":23,\"value\":\"Design\"},"
    "{\"virtualColumnId\":9223372036854775807,\"columnId\":21,"
    "\"value\":1.5,\"displayValue\":\"1.5\"},"
    "{\"virtualColumnId\":23,\"columnId\":11,\"value\":true},"
    "{\"virtualColumnId\":24,\"columnId\":7,\"value\":\"p\"}]},"
    "{\"id\":32,\"sheetId\":4,\"rowNumber\":2,\"cells\":["
    "{\"virtualColumnId\":25,\"columnId\":9,\"value\":\"a, b\","
    "\"displayValue\":\"a, b\",\"objectValue\":{\"objectType\":"
    "\"MULTI_PICKLIST\",\"values\":[\"a\",\"b\"]}},"
    "{\"virtualColumnId\":11,\"value\":\"Sheet \\\"2\\\"\","
    "\"displayValue\":\"Sheet \\\"2\\\"\"},"
    "{\"virtualColumnId\":23,\"columnId\":11,\"value\":false}]}]}";

static const char report_p2[] =
    "{\"id\":9007199254740993,\"name\":\"renamed meanwhile\","
    "\"totalRowCount\":4,\"modifiedAt\":\"2024-01-02T03:04:05Z\","
    "\"columns\":[{\"virtualId\":99,\"title\":\"Other\","
    "\"type\":\"DATE\"}],\"rows\":["
    "{\"id\":33,\"sheetId\":4,\"rowNumber\":3,\"cells\":[]},"
    "{\"id\":34,\"rowNumber\":4,\"parentId\":31,\"cells\":["
    "{\"virtualColumnId\":21,\"columnId\":5,"
    "\"displayValue\":\"only shown\"}]}]}";

/* spec_render.render_report_csv / _json / _ndjson of the same report (all
 * rows in one list), byte for byte. */
static const char oracle_csv[] =
    "Sheet Name,Task,Task,_sheetId,_parentId,Tags\n"
    "\"Plan, A\",Design,1.5,true,p,\n"
    "\"Sheet \"\"2\"\"\",,,false,,\"a, b\"\n"
    ",,,,,\n"
    ",only shown,,,,\n";

static const char oracle_json[] =
    "{\"id\":9007199254740993,\"name\":\"Rollup \\\"Q1\\\"\","
    "\"totalRowCount\":4,"
    "\"permalink\":\"https://app.smartsheet.com/b/home?lx=r\","
    "\"modifiedAt\":\"2024-01-02T03:04:05Z\",\"columns\":["
    "{\"virtualId\":11,\"title\":\"Sheet Name\",\"type\":\"TEXT_NUMBER\"},"
    "{\"virtualId\":21,\"title\":\"Task\",\"type\":\"TEXT_NUMBER\","
    "\"primary\":true},"
    "{\"virtualId\":9223372036854775807,\"title\":\"Task\","
    "\"type\":\"TEXT_NUMBER\"},"
    "{\"virtualId\":23,\"title\":\"_sheetId\",\"type\":\"CHECKBOX\"},"
    "{\"virtualId\":24,\"title\":\"_parentId\",\"type\":\"TEXT_NUMBER\","
    "\"hidden\":true},"
    "{\"virtualId\":25,\"title\":\"Tags\",\"type\":\"MULTI_PICKLIST\"}],"
    "\"rows\":[\n"
    "{\"id\":31,\"rowNumber\":1,\"sheetId\":9007199254740995,\"cells\":{"
    "\"Sheet Name\":\"Plan, A\",\"Task\":\"Design\","
    "\"Task (9223372036854775807)\":1.5,\"_sheetId\":true,"
    "\"_parentId\":\"p\"}},\n"
    "{\"id\":32,\"rowNumber\":2,\"sheetId\":4,\"cells\":{"
    "\"Sheet Name\":\"Sheet \\\"2\\\"\",\"_sheetId\":false,"
    "\"Tags\":[\"a\",\"b\"]}},\n"
    "{\"id\":33,\"rowNumber\":3,\"sheetId\":4,\"cells\":{}},\n"
    "{\"id\":34,\"rowNumber\":4,\"sheetId\":null,\"cells\":{"
    "\"Task\":\"only shown\"}}\n"
    "]}\n";

static const char oracle_ndjson[] =
    "{\"_rowId\":31,\"_rowNumber\":1,\"_sheetId\":9007199254740995,"
    "\"Sheet Name\":\"Plan, A\",\"Task\":\"Design\","
    "\"Task (9223372036854775807)\":1.5,\"_sheetId (23)\":true,"
    "\"_parentId\":\"p\"}\n"
    "{\"_rowId\":32,\"_rowNumber\":2,\"_sheetId\":4,"
    "\"Sheet Name\":\"Sheet \\\"2\\\"\",\"_sheetId (23)\":false,"
    "\"Tags\":[\"a\",\"b\"]}\n"
    "{\"_rowId\":33,\"_rowNumber\":3,\"_sheetId\":4}\n"
    "{\"_rowId\":34,\"_rowNumber\":4,\"_sheetId\":null,"
    "\"Task\":\"only shown\"}\n";

static int report2(const char *p1, const char *p2, struct model_sheet **out)
{
	const char *pages[] = {p1, p2};
	size_t lens[] = {strlen(p1), p2 ? strlen(p2) : 0};

	return api_parse_report(pages, lens, p2 ? 2 : 1, out);
}

/* The model's three files, joined, for comparing two models. */
static char *files_of(const struct model_sheet *s)
{
	static const enum render_fmt fmts[] = {RENDER_FMT_CSV, RENDER_FMT_JSON,
					       RENDER_FMT_NDJSON};
	struct render_opts o = {.display = true};
	struct sbuf all = SBUF_INIT(0);
	size_t i;
	int rc = 0;

	for (i = 0; i < SSFS_ARRAY_SIZE(fmts) && !rc; i++)
		rc = render_sheet(s, fmts[i], &o, &all);
	return rc ? NULL : sbuf_detach(&all, NULL);
}

static void check_file(const struct model_sheet *s, enum render_fmt fmt,
		       const char *want)
{
	struct sbuf out = SBUF_INIT(0);

	CHECK_INT(render_sheet(s, fmt, NULL, &out), 0);
	if (strcmp(out.buf, want) != 0)
		fprintf(stderr, " got: [%s]\nwant: [%s]\n", out.buf, want);
	CHECK_STR(out.buf, want);
	sbuf_release(&out);
}

static void test_api_report_model(void)
{
	struct model_sheet *s = NULL;
	const struct model_cell *c;

	CHECK_INT(report2(report_p1, report_p2, &s), 0);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->is_report);
	CHECK(s->id == 9007199254740993);
	CHECK_STR(s->name, "Rollup \"Q1\"");
	CHECK_INT(s->version, -1);
	CHECK_INT(s->total_row_count, 4);
	CHECK_INT(s->ncols, 6);
	CHECK_INT(s->nrows, 4);
	if (s->ncols != 6 || s->nrows != 4)
		goto out;
	CHECK_INT(s->cols[0].id, 11);
	CHECK_STR(s->cols[0].title, "Sheet Name");
	CHECK(s->cols[2].id == INT64_MAX);
	CHECK(s->cols[1].primary && s->cols[4].hidden);
	CHECK(s->rows[0].sheet_id == 9007199254740995);
	CHECK_INT(s->rows[1].sheet_id, 4);
	CHECK_INT(s->rows[3].sheet_id, 0);
	CHECK_INT(s->rows[3].parent_id, 0); /* a report has no hierarchy */
	CHECK_INT(s->rows[3].row_number, 4);
	CHECK_INT(s->rows[0].ncells, 5);
	CHECK_INT(s->rows[2].ncells, 0);
	/* By virtualColumnId, never by the source sheet's columnId. */
	c = model_row_cell(&s->rows[0], 0);
	CHECK_STR(c ? c->str : NULL, "Plan, A");
	c = model_row_cell(&s->rows[0], 1);
	CHECK_STR(c ? c->str : NULL, "Design");
	c = model_row_cell(&s->rows[0], 3);
	CHECK(c && c->kind == MODEL_VAL_BOOL && c->flag);
	c = model_row_cell(&s->rows[1], 5);
	CHECK(c && c->multi && c->multi->count == 2);
out:
	model_sheet_free(s);
}

/* Parsed from its pages and rendered: spec_render's bytes. */
static void test_api_report_render_oracle(void)
{
	struct model_sheet *s = NULL;

	CHECK_INT(report2(report_p1, report_p2, &s), 0);
	if (!s)
		return;
	check_file(s, RENDER_FMT_CSV, oracle_csv);
	check_file(s, RENDER_FMT_JSON, oracle_json);
	check_file(s, RENDER_FMT_NDJSON, oracle_ndjson);
	model_sheet_free(s);
}

/* Pieces of any size, and a later page started over halfway (a retried
 * download), give the same model. */
static void test_api_report_pieces_and_restart(void)
{
	static const size_t steps[] = {1, 7, 64, 100000};
	const char *pages[] = {report_p1, report_p2};
	struct model_sheet *whole = NULL;
	char *want = NULL;
	size_t i, k, off, n;

	CHECK_INT(report2(report_p1, report_p2, &whole), 0);
	want = whole ? files_of(whole) : NULL;
	CHECK(want != NULL);
	for (k = 0; want && k < SSFS_ARRAY_SIZE(steps); k++) {
		struct sheet_parser *p = sheet_parser_new_report();
		struct model_sheet *s = NULL;
		char *got;
		int rc = p ? 0 : -ENOMEM;

		for (i = 0; i < 2 && !rc; i++) {
			n = strlen(pages[i]);
			if (i == 1) {
				/* Half of page 2, then it starts over. */
				rc = sheet_parser_feed(p, pages[i], n / 2);
				if (!rc)
					rc = sheet_parser_reset(p);
			}
			for (off = 0; off < n && !rc; off += steps[k])
				rc = sheet_parser_feed(
				    p, pages[i] + off,
				    n - off < steps[k] ? n - off : steps[k]);
			if (!rc)
				rc = sheet_parser_end_page(p);
		}
		if (!rc)
			rc = sheet_parser_finish(p, &s);
		CHECK_INT(rc, 0);
		got = s ? files_of(s) : NULL;
		CHECK_STR(got, want);
		free(got);
		model_sheet_free(s);
		sheet_parser_free(p);
	}
	free(want);
	model_sheet_free(whole);
}

/* How the pages must add up; the second page's header against the
 * first's. */
static void test_api_report_counts(void)
{
#define HEAD(total) "{\"id\":1,\"totalRowCount\":" total ","
#define COLS "\"columns\":[{\"virtualId\":5,\"title\":\"A\"}],"
#define ROW(id)                                                                \
	"{\"id\":" #id ",\"cells\":[{\"virtualColumnId\":5,\"value\":1}]}"
	static const struct {
		const char *p1, *p2;
		int rc;
		int rows;
	} t[] = {
	    /* 0 */ {HEAD("2") COLS "\"rows\":[" ROW(1) "," ROW(2) "]}", NULL,
		     0, 2},
	    /* one row a page; a third page is never read */
	    {HEAD("2") COLS "\"rows\":[" ROW(1) "]}",
	     HEAD("2") "\"rows\":[" ROW(2) "]}", 0, 2},
	    {HEAD("0") COLS "\"rows\":[]}", NULL, 0, 0},
	    {HEAD("0") COLS "\"rows\":null}", NULL, 0, 0},
	    /* rows past totalRowCount */
	    {HEAD("1") COLS "\"rows\":[" ROW(1) "," ROW(2) "]}", NULL, -EIO, 0},
	    {HEAD("2") COLS "\"rows\":[" ROW(1) "]}",
	     HEAD("2") "\"rows\":[" ROW(2) "," ROW(3) "]}", -EIO, 0},
	    /* 6: a page that adds no row before they are all in */
	    {HEAD("3") COLS "\"rows\":[" ROW(1) "]}", HEAD("3") "\"rows\":[]}",
	     -EIO, 0},
	    {HEAD("3") COLS "\"rows\":[]}", HEAD("3") "\"rows\":[" ROW(1) "]}",
	     -EIO, 0},
	    /* too few pages, no totalRowCount */
	    {HEAD("3") COLS "\"rows\":[" ROW(1) "]}", NULL, -EIO, 0},
	    {"{\"id\":1," COLS "\"rows\":[" ROW(1) "]}", NULL, -EIO, 0},
	    {HEAD("null") COLS "\"rows\":[" ROW(1) "]}", NULL, -EIO, 0},
	    /* 11: the report changed between the pages */
	    {HEAD("3") COLS "\"rows\":[" ROW(1) "]}",
	     HEAD("4") "\"rows\":[" ROW(2) "]}", -ESTALE, 0},
	    {HEAD("3") "\"modifiedAt\":\"a\"," COLS "\"rows\":[" ROW(1) "]}",
	     HEAD("3") "\"modifiedAt\":\"b\",\"rows\":[" ROW(2) "]}", -ESTALE,
	     0},
	    /* another report's page, a malformed one */
	    {HEAD("3") COLS "\"rows\":[" ROW(1) "]}",
	     "{\"id\":2,\"totalRowCount\":3,\"rows\":[" ROW(2) "]}", -EIO, 0},
	    {HEAD("3") COLS "\"rows\":[" ROW(1) "]}",
	     HEAD("3") "\"rows\":[" ROW(2) "]", -EIO, 0},
	    /* 15: no columns; a cell with the sheet's columnId only */
	    {HEAD("1") "\"rows\":[" ROW(1) "]}", NULL, -EIO, 0},
	    {HEAD("1") COLS "\"rows\":[{\"id\":1,\"cells\":"
			    "[{\"columnId\":5,\"value\":1}]}]}",
	     NULL, -EIO, 0},
	    /* a column's "id" is not its virtualId */
	    {HEAD("1") "\"columns\":[{\"id\":5}],\"rows\":[]}", NULL, -EIO, 0},
	};
#undef HEAD
#undef COLS
#undef ROW
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		struct model_sheet *s = NULL;
		int rc = report2(t[i].p1, t[i].p2, &s);

		if (rc != t[i].rc)
			fprintf(stderr, "  case %zu: rc %d\n", i, rc);
		CHECK_INT(rc, t[i].rc);
		CHECK((s != NULL) == (rc == 0));
		if (s) {
			CHECK_INT(s->nrows, t[i].rows);
			CHECK_INT(s->total_row_count, t[i].rows);
		}
		model_sheet_free(s);
	}
}

static void test_api_report_step_table(void)
{
	static const struct {
		int64_t before, after, total;
		int want;
	} t[] = {
	    {0, 0, 0, 0},     {0, 5, 5, 0},	 {0, 5, 10, 1},
	    {5, 6, 10, 1},    {5, 10, 10, 0},	 {5, 5, 10, -EIO},
	    {0, 0, 1, -EIO},  {0, 11, 10, -EIO}, {10, 11, 10, -EIO},
	    {0, 3, -1, -EIO}, {0, 0, -1, -EIO},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		const char *why = NULL;
		int rc =
		    api_report_step(t[i].before, t[i].after, t[i].total, &why);

		if (rc != t[i].want)
			fprintf(stderr, "  case %zu\n", i);
		CHECK_INT(rc, t[i].want);
		CHECK((why != NULL) == (rc < 0));
	}
}

/* "Serialization - Report" of the SDK scenarios: a Sheet Name column and
 * a cell with only virtualColumnId. Its totalRowCount (11) is not its rows
 * (1): as a whole report it does not add up. */
static const char sdk_report[] =
    "{\"id\":1,\"name\":\"Test Report\",\"totalRowCount\":11,"
    "\"accessLevel\":\"OWNER\",\"effectiveAttachmentOptions\":["
    "\"GOOGLE_DRIVE\",\"FILE\"],\"ganttEnabled\":false,"
    "\"cellImageUploadEnabled\":true,"
    "\"permalink\":\"https://app.smartsheet.com/b/home?lx=a\","
    "\"createdAt\":\"2017-10-06T19:57:40Z\","
    "\"modifiedAt\":\"2018-03-23T18:55:50Z\",\"columns\":[{"
    "\"virtualId\":2,\"index\":0,\"title\":\"Sheet Name\","
    "\"type\":\"TEXT_NUMBER\",\"sheetNameColumn\":true,"
    "\"validation\":false,\"width\":150}],\"rows\":[{\"id\":3,"
    "\"sheetId\":4,\"rowNumber\":1,\"expanded\":true,"
    "\"accessLevel\":\"OWNER\",\"createdAt\":\"2017-08-29T15:54:47Z\","
    "\"modifiedAt\":\"2017-08-29T15:54:47Z\",\"cells\":[{"
    "\"virtualColumnId\":2,\"value\":\"Sheet Copy 2\","
    "\"displayValue\":\"Sheet Copy 2\"}]}]}";

static void test_api_report_sdk_scenario(void)
{
	struct sheet_parser *p = sheet_parser_new_report();
	struct model_sheet *s = NULL;
	const struct model_cell *c;

	CHECK_INT(report2(sdk_report, NULL, &s), -EIO);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(sheet_parser_feed(p, sdk_report, strlen(sdk_report)), 0);
	CHECK_INT(sheet_parser_finish(p, &s), 0);
	sheet_parser_free(p);
	if (!s)
		return;
	CHECK(s->is_report);
	CHECK_INT(s->ncols, 1);
	CHECK_INT(s->nrows, 1);
	if (s->ncols == 1 && s->nrows == 1) {
		CHECK_INT(s->cols[0].id, 2);
		CHECK_STR(s->cols[0].title, "Sheet Name");
		CHECK_INT(s->rows[0].id, 3);
		CHECK_INT(s->rows[0].sheet_id, 4);
		c = model_row_cell(&s->rows[0], 0);
		CHECK_STR(c ? c->str : NULL, "Sheet Copy 2");
	}
	model_sheet_free(s);
}

/* A sheet parser has no pages, and reads a report's keys as a sheet's:
 * columns without "id" are not a sheet's. */
static void test_api_report_kind_apart(void)
{
	static const char sheet[] =
	    "{\"id\":1,\"version\":2,\"columns\":[{\"id\":5}],"
	    "\"rows\":[{\"id\":7,\"sheetId\":9,\"cells\":[]}]}";
	struct sheet_parser *p = sheet_parser_new();
	struct model_sheet *s = NULL;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(sheet_parser_feed(p, sheet, strlen(sheet)), 0);
	CHECK_INT(sheet_parser_end_page(p), -EINVAL);
	CHECK_INT(sheet_parser_finish(p, &s), 0);
	CHECK(s && !s->is_report && s->version == 2);
	CHECK(s && s->nrows == 1 && s->rows[0].sheet_id == 0);
	model_sheet_free(s);
	s = NULL;
	CHECK_INT(sheet_parser_reset(p), 0);
	CHECK_INT(sheet_parser_feed(p, report_p1, strlen(report_p1)), -EIO);
	CHECK_INT(sheet_parser_finish(p, &s), -EIO);
	CHECK(s == NULL);
	sheet_parser_free(p);
}

/* Pages big enough for the feed's thread (pieces of 256 KiB). */
static char *big_page(int page, int rows_per_page, int total, size_t *len)
{
	struct sbuf sb = SBUF_INIT(0);
	int r, c, rc;

	rc = sbuf_addf(&sb, "{\"id\":77,\"totalRowCount\":%d,", total);
	if (page == 0) {
		rc |= sbuf_addstr(&sb, "\"columns\":[{\"virtualId\":1,"
				       "\"title\":\"Sheet Name\"}");
		for (c = 2; c <= 8; c++)
			rc |= sbuf_addf(&sb,
					",{\"virtualId\":%d,"
					"\"title\":\"C%d\"}",
					c, c);
		rc |= sbuf_addstr(&sb, "],");
	}
	rc |= sbuf_addstr(&sb, "\"rows\":[");
	for (r = 0; r < rows_per_page; r++) {
		int id = page * rows_per_page + r + 1;

		rc |= sbuf_addf(&sb,
				"%s{\"id\":%d,\"sheetId\":%d,\"rowNumber\":%d,"
				"\"cells\":[{\"virtualColumnId\":1,"
				"\"value\":\"Source %d\"}",
				r ? "," : "", id, 1000 + page, id, page);
		for (c = 2; c <= 8; c++)
			rc |= sbuf_addf(&sb,
					",{\"virtualColumnId\":%d,"
					"\"columnId\":%d,\"value\":\"row %d "
					"col %d with some text\"}",
					c, 500 + c, id, c);
		rc |= sbuf_addstr(&sb, "]}");
	}
	rc |= sbuf_addstr(&sb, "]}");
	if (rc) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, len);
}

/* The report through the feed, as api_get_report reads it: pages end on
 * the transfer's thread while the parse runs on the feed's; a later page
 * retried halfway keeps the earlier pages' rows. */
static void test_api_report_feed(void)
{
	enum { PAGES = 3, PER_PAGE = 3000 };
	struct sheet_parser *p = sheet_parser_new_report();
	struct feed *f = p ? feed_new(p) : NULL;
	struct model_sheet *s = NULL;
	int64_t rows = 0, total = 0, before = 0;
	const char *why;
	size_t k, m;
	int i, step = 1, rc;

	CHECK(f != NULL);
	for (i = 0; f && i < PAGES; i++) {
		size_t n = 0;
		char *body = big_page(i, PER_PAGE, PAGES * PER_PAGE, &n);

		CHECK(body && n > ((size_t)1 << 20));
		if (!body)
			break;
		/* libcurl's pieces; page 2 is retried from its middle */
		rc = 0;
		for (k = 0, m = i == 1 ? n / 2 : n; k < m && !rc; k += 16384)
			rc = feed_write(f, body + k,
					m - k < 16384 ? m - k : 16384);
		if (i == 1) {
			CHECK_INT(feed_reset(f), 0);
			for (k = 0; k < n && !rc; k += 16384)
				rc = feed_write(f, body + k,
						n - k < 16384 ? n - k : 16384);
		}
		CHECK_INT(rc, 0);
		CHECK_INT(feed_end_page(f, &rows, &total), 0);
		CHECK_INT(rows, (i + 1) * PER_PAGE);
		CHECK_INT(total, PAGES * PER_PAGE);
		step = api_report_step(before, rows, total, &why);
		CHECK_INT(step, i + 1 < PAGES ? 1 : 0);
		before = rows;
		free(body);
	}
	if (f)
		CHECK_INT(feed_finish(f, &s), 0);
	CHECK(s && s->is_report && s->nrows == PAGES * PER_PAGE);
	for (i = 0; s && i < PAGES * PER_PAGE; i += PER_PAGE / 2) {
		const struct model_cell *c = model_row_cell(&s->rows[i], 7);

		CHECK_INT(s->rows[i].id, i + 1);
		CHECK_INT(s->rows[i].sheet_id, 1000 + i / PER_PAGE);
		CHECK_INT(s->rows[i].ncells, 8);
		CHECK(c && c->str && strstr(c->str, "col 8"));
	}
	model_sheet_free(s);
	feed_free(f);
	sheet_parser_free(p);
}

int main(void)
{
	/* Failures are expected here; their debug lines would be noise. */
	log_set_level(LOG_ERR);
	T(test_api_tree_children_pages);
	T(test_api_tree_last_key_forms);
	T(test_api_tree_children_bad);
	T(test_api_tree_workspace_page);
	T(test_api_tree_index_permalink);
	T(test_api_report_model);
	T(test_api_report_render_oracle);
	T(test_api_report_pieces_and_restart);
	T(test_api_report_counts);
	T(test_api_report_step_table);
	T(test_api_report_sdk_scenario);
	T(test_api_report_kind_apart);
	T(test_api_report_feed);
	return t_run();
}
