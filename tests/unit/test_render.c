#include "render/render.h"
#include "render/csv.h"
#include "render/json.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "tests/unit/testlib.h"

/* NAN and INFINITY are floats: -Wdouble-promotion wants the cast. */
#define T_NAN ((double)NAN)
#define T_INF ((double)INFINITY)

/*
 * Sheets are static data here (never passed to model_sheet_free): columns,
 * rows and cells as arrays, strings as literals.
 */

/* Render s; a new string (caller frees) or NULL, with *rc set. */
static char *render(const struct model_sheet *s, enum render_fmt fmt,
		    bool display, bool crlf, int *rc)
{
	struct sbuf out = SBUF_INIT(0);
	struct render_opts o = {.display = display, .crlf = crlf};

	*rc = render_sheet(s, fmt, &o, &out);
	if (*rc)
		return NULL;
	return sbuf_detach(&out, NULL);
}

static void check_render(const struct model_sheet *s, enum render_fmt fmt,
			 bool display, bool crlf, const char *want,
			 const char *what)
{
	int rc;
	char *got = render(s, fmt, display, crlf, &rc);

	CHECK_INT(rc, 0);
	if (!got || strcmp(got, want) != 0)
		fprintf(stderr, "case %s:\n got: [%s]\nwant: [%s]\n", what,
			got ? got : "(null)", want);
	CHECK_STR(got, want);
	free(got);
}

/* ---- field helpers ---- */

static void test_render_csv_field_quoting(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"", ""},
	    {"plain", "plain"},
	    {"a,b", "\"a,b\""},
	    {"say \"hi\"", "\"say \"\"hi\"\"\""},
	    {"\"", "\"\"\"\""},
	    {"line1\nline2", "\"line1\nline2\""},
	    {"cr\rhere", "\"cr\rhere\""},
	    {"a\r\nb", "\"a\r\nb\""},
	    {" spaces ", " spaces "},
	    {"tab\there", "tab\there"},
	    {"日本語 😀", "日本語 😀"},
	    {"x,\"y\"\n", "\"x,\"\"y\"\"\n\""},
	};
	struct sbuf sb = SBUF_INIT(0);
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		sbuf_reset(&sb);
		CHECK_INT(render_csv_field(&sb, t[i].in), 0);
		CHECK_STR(sb.buf, t[i].want);
	}
	sbuf_release(&sb);
}

static void test_render_json_string_escapes(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"", "\"\""},
	    {"plain", "\"plain\""},
	    {"q\"b\\", "\"q\\\"b\\\\\""},
	    {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
	    {"\x01\x1f", "\"\\u0001\\u001f\""},
	    {"del\x7f", "\"del\x7f\""},
	    {"a\xe2\x80\xa8"
	     "b\xe2\x80\xa9"
	     "c",
	     "\"a\\u2028b\\u2029c\""},
	    {"\xe2\x82\xac \xe2\x80\xa6 \xe2\x80",
	     "\"\xe2\x82\xac \xe2\x80\xa6 \xe2\x80\""},
	    {"\xe2", "\"\xe2\""},
	    {"日本語 😀 Tâche", "\"日本語 😀 Tâche\""},
	    {"/", "\"/\""},
	};
	struct sbuf sb = SBUF_INIT(0);
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		sbuf_reset(&sb);
		CHECK_INT(render_json_string(&sb, t[i].in), 0);
		CHECK_STR(sb.buf, t[i].want);
	}
	sbuf_release(&sb);
}

/* Every ASCII byte and the separators read back through a JSON parser. */
static void test_render_json_string_roundtrip(void)
{
	struct sbuf sb = SBUF_INIT(0);
	char in[256];
	cJSON *v;
	size_t n = 0;
	int c;

	for (c = 1; c < 128; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\xe2\x82\xac\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80",
	       14);
	in[n + 14] = '\0';
	CHECK_INT(render_json_string(&sb, in), 0);
	CHECK(strstr(sb.buf, "\xe2\x80\xa8") == NULL);
	v = cJSON_Parse(sb.buf);
	CHECK(cJSON_IsString(v));
	if (cJSON_IsString(v))
		CHECK_STR(v->valuestring, in);
	cJSON_Delete(v);
	sbuf_release(&sb);
}

/* ---- the SPEC §4 example ---- */

static struct model_column plan_cols[] = {
    {.id = 11,
     .title = "Task",
     .type_name = "TEXT_NUMBER",
     .type = MODEL_COL_TEXT_NUMBER,
     .primary = true},
    {.id = 12,
     .title = "Done",
     .type_name = "CHECKBOX",
     .type = MODEL_COL_CHECKBOX},
};
static struct model_cell plan_r1[] = {
    {.col = 0, .kind = MODEL_VAL_STRING, .str = "Design", .display = "Design"},
    {.col = 1, .kind = MODEL_VAL_BOOL, .flag = true},
};
static struct model_cell plan_r2[] = {
    {.col = 0, .kind = MODEL_VAL_STRING, .str = "Build", .display = "Build"},
};
static struct model_row plan_rows[] = {
    {.id = 21, .parent_id = 0, .row_number = 1, .cells = plan_r1, .ncells = 2},
    {.id = 22, .parent_id = 21, .row_number = 2, .cells = plan_r2, .ncells = 1},
};
static const struct model_sheet plan = {
    .id = 1,
    .name = "Plan",
    .version = 7,
    .permalink = "https://app.smartsheet.com/b/home?lx=x",
    .modified_at = "2024-05-05T05:05:05Z",
    .total_row_count = 2,
    .cols = plan_cols,
    .ncols = 2,
    .rows = plan_rows,
    .nrows = 2,
};

static void test_render_json_spec_example(void)
{
	check_render(&plan, RENDER_FMT_JSON, false, false,
		     "{\"id\":1,\"name\":\"Plan\",\"version\":7,"
		     "\"permalink\":\"https://app.smartsheet.com/b/home?lx=x\","
		     "\"modifiedAt\":\"2024-05-05T05:05:05Z\",\"columns\":["
		     "{\"id\":11,\"title\":\"Task\",\"type\":\"TEXT_NUMBER\","
		     "\"primary\":true},{\"id\":12,\"title\":\"Done\","
		     "\"type\":\"CHECKBOX\"}],\"rows\":[\n"
		     "{\"id\":21,\"rowNumber\":1,\"parentId\":null,\"cells\":"
		     "{\"Task\":\"Design\",\"Done\":true}},\n"
		     "{\"id\":22,\"rowNumber\":2,\"parentId\":21,\"cells\":"
		     "{\"Task\":\"Build\"}}\n"
		     "]}\n",
		     "spec json");
	check_render(&plan, RENDER_FMT_CSV, false, false,
		     "Task,Done\nDesign,true\nBuild,\n", "spec csv");
	check_render(&plan, RENDER_FMT_CSV, false, true,
		     "Task,Done\r\nDesign,true\r\nBuild,\r\n", "spec csv crlf");
}

/* ---- a sheet with every kind of cell ---- */

static const char *pick_ab[] = {"a", "b, c"};
static const struct model_multi multi_pick = {
    .contacts = false, .count = 2, .v.strings = pick_ab};
static struct model_contact people[] = {
    {.name = "Alice", .email = "alice@example.com"},
    {.name = NULL, .email = "bob@example.com"},
    {.name = "Carol", .email = NULL},
};
static const struct model_multi multi_people = {
    .contacts = true, .count = 3, .v.contacts = people};

static struct model_column mix_cols[] = {
    {.id = 1,
     .title = "Name, \"full\"",
     .type_name = "TEXT_NUMBER",
     .primary = true},
    {.id = 2, .title = "Cost", .type_name = "TEXT_NUMBER"},
    {.id = 3, .title = "Secret", .type_name = "TEXT_NUMBER", .hidden = true},
    {.id = 4, .title = "Owner", .type_name = "CONTACT_LIST"},
    {.id = 5, .title = "Tags", .type_name = "MULTI_PICKLIST"},
    {.id = 6, .title = "Team", .type_name = "MULTI_CONTACT_LIST"},
    {.id = 7, .title = "Ok", .type_name = "CHECKBOX"},
    {.id = 8, .title = "Calc", .type_name = "TEXT_NUMBER"},
};
static struct model_cell mix_r1[] = {
    {.col = 0,
     .kind = MODEL_VAL_STRING,
     .str = "Line1\nLine2",
     .display = "Line1\nLine2"},
    {.col = 1, .kind = MODEL_VAL_NUMBER, .num = 1234.5, .display = "$1,234.50"},
    {.col = 2, .kind = MODEL_VAL_STRING, .str = "hidden \"x\""},
    {.col = 3,
     .kind = MODEL_VAL_STRING,
     .str = "alice@example.com",
     .display = "Alice"},
    {.col = 4,
     .kind = MODEL_VAL_NONE,
     .display = "a, b, c",
     .multi = &multi_pick},
    {.col = 5,
     .kind = MODEL_VAL_NONE,
     .display = "Alice, bob@example.com, Carol",
     .multi = &multi_people},
    {.col = 6, .kind = MODEL_VAL_BOOL, .flag = false},
    {.col = 7, .kind = MODEL_VAL_NONE, .display = "#UNPARSEABLE"},
};
static struct model_cell mix_r2[] = {
    {.col = 0, .kind = MODEL_VAL_STRING, .str = "crlf\r\nin cell"},
    {.col = 1, .kind = MODEL_VAL_NUMBER, .num = -0.0},
    {.col = 4, .kind = MODEL_VAL_NONE, .multi = &multi_pick},
    {.col = 5, .kind = MODEL_VAL_NONE, .multi = &multi_people},
    {.col = 6, .kind = MODEL_VAL_BOOL, .flag = true},
    {.col = 7, .kind = MODEL_VAL_NUMBER, .num = T_NAN},
};
static struct model_cell mix_r3[] = {
    {.col = 1, .kind = MODEL_VAL_NUMBER, .num = 0.1 + 0.2, .display = "0.3"},
    {.col = 4,
     .kind = MODEL_VAL_STRING,
     .str = "solo",
     .display = "solo",
     .multi = &multi_pick},
    {.col = 7, .kind = MODEL_VAL_NUMBER, .num = T_INF},
};
static struct model_row mix_rows[] = {
    {.id = 9007199254740993,
     .row_number = 1,
     .cells = mix_r1,
     .ncells = SSFS_ARRAY_SIZE(mix_r1)},
    {.id = INT64_MAX,
     .parent_id = 9007199254740993,
     .row_number = 2,
     .cells = mix_r2,
     .ncells = SSFS_ARRAY_SIZE(mix_r2)},
    {.id = INT64_MIN,
     .parent_id = INT64_MAX,
     .row_number = 3,
     .cells = mix_r3,
     .ncells = SSFS_ARRAY_SIZE(mix_r3)},
    {.id = 5, .row_number = 4, .cells = NULL, .ncells = 0},
};
static const struct model_sheet mix = {
    .id = 9223372036854775807,
    .name = "Mix \"all\"",
    .version = -1,
    .cols = mix_cols,
    .ncols = SSFS_ARRAY_SIZE(mix_cols),
    .rows = mix_rows,
    .nrows = SSFS_ARRAY_SIZE(mix_rows),
};

static void test_render_csv_values(void)
{
	static const char header[] =
	    "\"Name, \"\"full\"\"\",Cost,Secret,Owner,Tags,Team,Ok,Calc";
	char raw[1024], disp[1024], rawcrlf[1024];

	snprintf(raw, sizeof(raw),
		 "%s\n"
		 "\"Line1\nLine2\",1234.5,\"hidden \"\"x\"\"\","
		 "alice@example.com,\"a, b, c\","
		 "\"Alice, bob@example.com, Carol\",false,#UNPARSEABLE\n"
		 "\"crlf\r\nin cell\",0,,,\"a, b, c\","
		 "\"alice@example.com, bob@example.com, Carol\",true,NaN\n"
		 ",0.30000000000000004,,,solo,,,Infinity\n"
		 ",,,,,,,\n",
		 header);
	snprintf(disp, sizeof(disp),
		 "%s\n"
		 "\"Line1\nLine2\",\"$1,234.50\",\"hidden \"\"x\"\"\","
		 "Alice,\"a, b, c\","
		 "\"Alice, bob@example.com, Carol\",false,#UNPARSEABLE\n"
		 "\"crlf\r\nin cell\",0,,,\"a, b, c\","
		 "\"Alice, bob@example.com, Carol\",true,NaN\n"
		 ",0.3,,,solo,,,Infinity\n"
		 ",,,,,,,\n",
		 header);
	snprintf(rawcrlf, sizeof(rawcrlf),
		 "%s\r\n"
		 "\"Line1\nLine2\",1234.5,\"hidden \"\"x\"\"\","
		 "alice@example.com,\"a, b, c\","
		 "\"Alice, bob@example.com, Carol\",false,#UNPARSEABLE\r\n"
		 "\"crlf\r\nin cell\",0,,,\"a, b, c\","
		 "\"alice@example.com, bob@example.com, Carol\",true,NaN\r\n"
		 ",0.30000000000000004,,,solo,,,Infinity\r\n"
		 ",,,,,,,\r\n",
		 header);
	check_render(&mix, RENDER_FMT_CSV, false, false, raw, "mix raw");
	check_render(&mix, RENDER_FMT_CSV, true, false, disp, "mix display");
	check_render(&mix, RENDER_FMT_CSV, false, true, rawcrlf, "mix crlf");
}

static void test_render_json_values(void)
{
	check_render(
	    &mix, RENDER_FMT_JSON, false, false,
	    "{\"id\":9223372036854775807,\"name\":\"Mix \\\"all\\\"\","
	    "\"columns\":["
	    "{\"id\":1,\"title\":\"Name, \\\"full\\\"\","
	    "\"type\":\"TEXT_NUMBER\",\"primary\":true},"
	    "{\"id\":2,\"title\":\"Cost\",\"type\":\"TEXT_NUMBER\"},"
	    "{\"id\":3,\"title\":\"Secret\",\"type\":\"TEXT_NUMBER\","
	    "\"hidden\":true},"
	    "{\"id\":4,\"title\":\"Owner\",\"type\":\"CONTACT_LIST\"},"
	    "{\"id\":5,\"title\":\"Tags\",\"type\":\"MULTI_PICKLIST\"},"
	    "{\"id\":6,\"title\":\"Team\","
	    "\"type\":\"MULTI_CONTACT_LIST\"},"
	    "{\"id\":7,\"title\":\"Ok\",\"type\":\"CHECKBOX\"},"
	    "{\"id\":8,\"title\":\"Calc\",\"type\":\"TEXT_NUMBER\"}"
	    "],\"rows\":[\n"
	    "{\"id\":9007199254740993,\"rowNumber\":1,\"parentId\":null,"
	    "\"cells\":{\"Name, \\\"full\\\"\":\"Line1\\nLine2\","
	    "\"Cost\":1234.5,\"Secret\":\"hidden \\\"x\\\"\","
	    "\"Owner\":\"alice@example.com\",\"Tags\":[\"a\",\"b, c\"],"
	    "\"Team\":[{\"name\":\"Alice\","
	    "\"email\":\"alice@example.com\"},"
	    "{\"email\":\"bob@example.com\"},{\"name\":\"Carol\"}],"
	    "\"Ok\":false,\"Calc\":\"#UNPARSEABLE\"}},\n"
	    "{\"id\":9223372036854775807,\"rowNumber\":2,"
	    "\"parentId\":9007199254740993,"
	    "\"cells\":{\"Name, \\\"full\\\"\":\"crlf\\r\\nin cell\","
	    "\"Cost\":0,\"Tags\":[\"a\",\"b, c\"],"
	    "\"Team\":[{\"name\":\"Alice\","
	    "\"email\":\"alice@example.com\"},"
	    "{\"email\":\"bob@example.com\"},{\"name\":\"Carol\"}],"
	    "\"Ok\":true,\"Calc\":null}},\n"
	    "{\"id\":-9223372036854775808,\"rowNumber\":3,"
	    "\"parentId\":9223372036854775807,"
	    "\"cells\":{\"Cost\":0.30000000000000004,"
	    "\"Tags\":[\"a\",\"b, c\"],\"Calc\":null}},\n"
	    "{\"id\":5,\"rowNumber\":4,\"parentId\":null,\"cells\":{}}\n"
	    "]}\n",
	    "mix json");
}

/* ---- shapes: no rows, no columns, duplicate titles, unicode ---- */

static struct model_column dup_cols[] = {
    {.id = 11, .title = "A", .type_name = "TEXT_NUMBER"},
    {.id = 12, .title = "A", .type_name = "TEXT_NUMBER"},
    {.id = 13, .title = "A (12)", .type_name = "TEXT_NUMBER"},
    {.id = 14, .title = "A", .type_name = "TEXT_NUMBER"},
    {.id = 15, .title = "", .type_name = "TEXT_NUMBER"},
    {.id = 16, .title = "", .type_name = "TEXT_NUMBER"},
};
static struct model_cell dup_r1[] = {
    {.col = 0, .kind = MODEL_VAL_NUMBER, .num = 1},
    {.col = 1, .kind = MODEL_VAL_NUMBER, .num = 2},
    {.col = 2, .kind = MODEL_VAL_NUMBER, .num = 3},
    {.col = 3, .kind = MODEL_VAL_NUMBER, .num = 4},
    {.col = 4, .kind = MODEL_VAL_NUMBER, .num = 5},
    {.col = 5, .kind = MODEL_VAL_NUMBER, .num = 6},
    {.col = 9, .kind = MODEL_VAL_NUMBER, .num = 7}, /* no such column */
};
static struct model_row dup_rows[] = {
    {.id = 1,
     .row_number = 1,
     .cells = dup_r1,
     .ncells = SSFS_ARRAY_SIZE(dup_r1)},
};

static void test_render_json_duplicate_titles(void)
{
	struct model_sheet s = {
	    .id = 3,
	    .name = "Dups",
	    .version = 0,
	    .cols = dup_cols,
	    .ncols = SSFS_ARRAY_SIZE(dup_cols),
	    .rows = dup_rows,
	    .nrows = 1,
	};
	int rc;
	static const char prefix[] =
	    "{\"id\":3,\"name\":\"Dups\",\"version\":0,"
	    "\"columns\":[{\"id\":11,\"title\":\"A\",";
	char *got = render(&s, RENDER_FMT_JSON, false, false, &rc);
	const char *cells;

	CHECK_INT(rc, 0);
	CHECK(got != NULL);
	if (!got)
		return;
	CHECK(strncmp(got, prefix, strlen(prefix)) == 0);
	cells = strstr(got, "\"cells\":");
	CHECK(cells != NULL);
	if (cells)
		CHECK_STR(cells, "\"cells\":{\"A\":1,\"A (12) (12)\":2,"
				 "\"A (12)\":3,\"A (14)\":4,\"\":5,"
				 "\" (16)\":6}}\n]}\n");
	free(got);
	check_render(&s, RENDER_FMT_CSV, false, false,
		     "A,A,A (12),A,,\n1,2,3,4,5,6\n", "dups csv");
}

static void test_render_empty_shapes(void)
{
	struct model_sheet s = {
	    .id = 4,
	    .name = "Empty",
	    .version = -1,
	    .cols = plan_cols,
	    .ncols = 2,
	    .rows = NULL,
	    .nrows = 0,
	};

	check_render(&s, RENDER_FMT_CSV, false, false, "Task,Done\n",
		     "no rows csv");
	check_render(&s, RENDER_FMT_CSV, false, true, "Task,Done\r\n",
		     "no rows csv crlf");
	check_render(&s, RENDER_FMT_JSON, false, false,
		     "{\"id\":4,\"name\":\"Empty\",\"columns\":["
		     "{\"id\":11,\"title\":\"Task\",\"type\":\"TEXT_NUMBER\","
		     "\"primary\":true},{\"id\":12,\"title\":\"Done\","
		     "\"type\":\"CHECKBOX\"}],\"rows\":[\n]}\n",
		     "no rows json");

	/* No columns: an empty header line, then an empty line per row. */
	s.cols = NULL;
	s.ncols = 0;
	s.rows = plan_rows;
	s.nrows = 2;
	check_render(&s, RENDER_FMT_CSV, false, false, "\n\n\n", "no cols csv");
	check_render(&s, RENDER_FMT_CSV, false, true, "\r\n\r\n\r\n",
		     "no cols csv crlf");
	check_render(&s, RENDER_FMT_JSON, false, false,
		     "{\"id\":4,\"name\":\"Empty\",\"columns\":[],\"rows\":[\n"
		     "{\"id\":21,\"rowNumber\":1,\"parentId\":null,"
		     "\"cells\":{}},\n"
		     "{\"id\":22,\"rowNumber\":2,\"parentId\":21,"
		     "\"cells\":{}}\n]}\n",
		     "no cols json");

	/* Nothing at all. */
	s.nrows = 0;
	check_render(&s, RENDER_FMT_CSV, false, false, "\n", "nothing csv");
	check_render(&s, RENDER_FMT_JSON, false, false,
		     "{\"id\":4,\"name\":\"Empty\",\"columns\":[],"
		     "\"rows\":[\n]}\n",
		     "nothing json");
}

static void test_render_unicode(void)
{
	struct model_column cols[] = {
	    {.id = 1, .title = "Tâche ✓", .type_name = "TEXT_NUMBER"},
	    {.id = 2, .title = "名前,𝄞", .type_name = "TEXT_NUMBER"},
	};
	struct model_cell cells[] = {
	    {.col = 0, .kind = MODEL_VAL_STRING, .str = "日本語 😀"},
	    {.col = 1,
	     .kind = MODEL_VAL_STRING,
	     .str = "sep\xe2\x80\xa8"
		    "x"},
	};
	struct model_row rows[] = {
	    {.id = 7, .row_number = 1, .cells = cells, .ncells = 2},
	};
	struct model_sheet s = {
	    .id = 8,
	    .name = "Ünï ／ code",
	    .version = 2,
	    .modified_at = "2024-01-01T00:00:00Z",
	    .cols = cols,
	    .ncols = 2,
	    .rows = rows,
	    .nrows = 1,
	};

	check_render(&s, RENDER_FMT_CSV, false, false,
		     "Tâche ✓,\"名前,𝄞\"\n日本語 😀,sep\xe2\x80\xa8x\n",
		     "unicode csv");
	check_render(&s, RENDER_FMT_JSON, false, false,
		     "{\"id\":8,\"name\":\"Ünï ／ code\",\"version\":2,"
		     "\"modifiedAt\":\"2024-01-01T00:00:00Z\",\"columns\":["
		     "{\"id\":1,\"title\":\"Tâche ✓\","
		     "\"type\":\"TEXT_NUMBER\"},"
		     "{\"id\":2,\"title\":\"名前,𝄞\",\"type\":\"TEXT_NUMBER\"}"
		     "],\"rows\":[\n"
		     "{\"id\":7,\"rowNumber\":1,\"parentId\":null,\"cells\":{"
		     "\"Tâche ✓\":\"日本語 😀\",\"名前,𝄞\":\"sep\\u2028x\"}}\n"
		     "]}\n",
		     "unicode json");
}

/* ---- limits and errors ---- */

static void test_render_cap_efbig(void)
{
	static const enum render_fmt fmts[] = {RENDER_FMT_CSV, RENDER_FMT_JSON};
	struct render_opts o = {0};
	size_t i, cap;
	int rc;

	for (i = 0; i < SSFS_ARRAY_SIZE(fmts); i++) {
		struct sbuf full = SBUF_INIT(0);

		CHECK_INT(render_sheet(&mix, fmts[i], &o, &full), 0);
		/* Exactly the size fits; one byte less does not. */
		for (cap = full.len - 1; cap <= full.len; cap++) {
			struct sbuf out = SBUF_INIT(cap);

			rc = render_sheet(&mix, fmts[i], &o, &out);
			if (cap < full.len) {
				CHECK_INT(rc, -EFBIG);
				CHECK_INT(out.len, 0);
				CHECK(out.buf == sbuf_empty);
				CHECK_INT(out.alloc, 0);
			} else {
				CHECK_INT(rc, 0);
				CHECK_STR(out.buf, full.buf);
			}
			sbuf_release(&out);
		}
		/* A tiny cap fails early, too. */
		{
			struct sbuf out = SBUF_INIT(10);

			CHECK_INT(render_sheet(&mix, fmts[i], &o, &out),
				  -EFBIG);
			CHECK(out.buf == sbuf_empty);
		}
		sbuf_release(&full);
	}
	{
		struct sbuf out = SBUF_INIT(0);

		CHECK_INT(render_sheet(&mix, (enum render_fmt)7, &o, &out),
			  -EINVAL);
		CHECK(out.buf == sbuf_empty);
	}
}

static void test_render_appends_and_null_opts(void)
{
	struct sbuf out = SBUF_INIT(0);

	CHECK_INT(sbuf_addstr(&out, "pre:"), 0);
	CHECK_INT(render_csv(&plan, NULL, &out), 0);
	CHECK_STR(out.buf, "pre:Task,Done\nDesign,true\nBuild,\n");
	sbuf_release(&out);
}

/* The JSON reads back with a real parser, row by row and as a whole. */
static void test_render_json_parses(void)
{
	int rc;
	char *got = render(&mix, RENDER_FMT_JSON, false, false, &rc);
	cJSON *root, *rows, *row, *cells, *v;
	char *line, *save = NULL;
	int nlines = 0;

	CHECK_INT(rc, 0);
	if (!got)
		return;
	root = cJSON_Parse(got);
	CHECK(root != NULL);
	rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
	CHECK_INT(cJSON_GetArraySize(rows), 4);
	row = cJSON_GetArrayItem(rows, 0);
	cells = cJSON_GetObjectItemCaseSensitive(row, "cells");
	v = cJSON_GetObjectItemCaseSensitive(cells, "Name, \"full\"");
	CHECK(cJSON_IsString(v));
	if (cJSON_IsString(v))
		CHECK_STR(v->valuestring, "Line1\nLine2");
	v = cJSON_GetObjectItemCaseSensitive(cells, "Cost");
	CHECK(cJSON_IsNumber(v) && v->valuedouble == 1234.5);
	v = cJSON_GetObjectItemCaseSensitive(cells, "Team");
	CHECK_INT(cJSON_GetArraySize(v), 3);
	cJSON_Delete(root);

	/* Lines 2.. are rows: each parses once its trailing ',' is cut. */
	for (line = strtok_r(got, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		nlines++;
		if (nlines == 1 || strcmp(line, "]}") == 0)
			continue;
		if (line[n - 1] == ',')
			line[n - 1] = '\0';
		root = cJSON_Parse(line);
		CHECK(cJSON_IsObject(root));
		cJSON_Delete(root);
	}
	CHECK_INT(nlines, 6);
	free(got);
}

/* ---- a big sheet: 20,000 rows x 10 columns ---- */

/*
 * The big sheet's expected bytes, written without render.c or sbuf: CSV
 * quoting by RFC 4180, numbers as the shortest "%.*g" that reads back (what
 * ECMAScript prints for these values: integers apart, all are >= 0.1 and
 * below 1e4, so %g never picks its exponent form where it round-trips).
 */
static void big_number(FILE *f, double x)
{
	char buf[40];
	int p;

	if (x == (double)(long long)x) {
		fprintf(f, "%lld", (long long)x);
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	fputs(buf, f);
}

static void big_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A new string (caller frees) and its length in *len; NULL on failure. */
static char *big_csv_expected(const struct model_sheet *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	size_t i, j;

	if (!f)
		return NULL;
	for (j = 0; j < s->ncols; j++)
		fprintf(f, "%s%s", j ? "," : "", s->cols[j].title);
	fputc('\n', f);
	for (i = 0; i < s->nrows; i++) {
		for (j = 0; j < s->ncols; j++) {
			const struct model_cell *c = &s->rows[i].cells[j];

			if (j)
				fputc(',', f);
			if (c->kind == MODEL_VAL_NUMBER)
				big_number(f, c->num);
			else
				big_field(f, c->str);
		}
		fputc('\n', f);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* Whether got is want; if not, where they part. */
static bool same_bytes(const char *got, size_t got_len, const char *want,
		       size_t want_len)
{
	size_t i;

	for (i = 0; i < got_len && i < want_len && got[i] == want[i]; i++)
		;
	if (i == got_len && i == want_len)
		return true;
	fprintf(stderr,
		"  %zu and %zu bytes, first difference at %zu: "
		"\"%.20s\" vs \"%.20s\"\n",
		got_len, want_len, i, i < got_len ? got + i : "",
		i < want_len ? want + i : "");
	return false;
}

/* The JSON, parsed by cJSON, holds the model's rows and values in order. */
static void check_big_json(const struct model_sheet *s, const char *text)
{
	cJSON *root = cJSON_Parse(text), *rows, *row, *v;
	size_t i = 0, j, bad = 0;

	CHECK(root != NULL);
	rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
	CHECK_INT(cJSON_GetArraySize(rows), s->nrows);
	for (row = rows ? rows->child : NULL; row; row = row->next) {
		v = cJSON_GetObjectItemCaseSensitive(row, "id");
		if (!cJSON_IsNumber(v) || v->valuedouble != (double)(i + 1))
			bad++;
		j = 0;
		v = cJSON_GetObjectItemCaseSensitive(row, "cells");
		for (v = v ? v->child : NULL; v && j < s->ncols; v = v->next) {
			const struct model_cell *c = &s->rows[i].cells[j++];

			if (c->kind == MODEL_VAL_NUMBER
				? !cJSON_IsNumber(v) || v->valuedouble != c->num
				: !cJSON_IsString(v) ||
				      strcmp(v->valuestring, c->str) != 0)
				bad++;
		}
		if (j != s->ncols || v)
			bad++;
		i++;
	}
	CHECK_INT(bad, 0);
	cJSON_Delete(root);
}

static void test_render_big_sheet(void)
{
	enum { NROWS = 20000, NCOLS = 10 };
	static const char *const words[] = {"alpha", "beta, gamma", "say \"x\"",
					    "multi\nline", ""};
	struct model_column *cols = calloc(NCOLS, sizeof(*cols));
	struct model_row *rows = calloc(NROWS, sizeof(*rows));
	struct model_cell *cells =
	    calloc((size_t)NROWS * NCOLS, sizeof(*cells));
	struct model_sheet s = {.id = 1, .name = "Big", .version = 1};
	struct sbuf csv = SBUF_INIT(0), json = SBUF_INIT(0);
	char *want = NULL, *held = NULL;
	size_t i, j, want_len = 0, held_len = 0, pow2, usable;

	CHECK(cols && rows && cells);
	if (!cols || !rows || !cells)
		goto out;
	for (j = 0; j < NCOLS; j++) {
		cols[j].id = (int64_t)j + 100;
		cols[j].title = j % 2 ? "Number" : "Text";
		cols[j].type_name = "TEXT_NUMBER";
	}
	for (i = 0; i < NROWS; i++) {
		rows[i].id = (int64_t)i + 1;
		rows[i].row_number = (int64_t)i + 1;
		rows[i].cells = cells + i * NCOLS;
		rows[i].ncells = NCOLS;
		for (j = 0; j < NCOLS; j++) {
			struct model_cell *c = &cells[i * NCOLS + j];

			c->col = (uint32_t)j;
			if (j % 2) {
				c->kind = MODEL_VAL_NUMBER;
				c->num = (double)i / (double)(j + 1);
			} else {
				c->kind = MODEL_VAL_STRING;
				c->str = words[(i + j) % 5];
			}
		}
	}
	s.cols = cols;
	s.ncols = NCOLS;
	s.rows = rows;
	s.nrows = NROWS;
	want = big_csv_expected(&s, &want_len);
	CHECK(want != NULL);
	if (!want)
		goto out;

	/* The bytes: the CSV exactly as written out independently, the JSON
	 * read back to the model's values. */
	CHECK_INT(render_csv(&s, NULL, &csv), 0);
	CHECK(same_bytes(csv.buf, csv.len, want, want_len));
	CHECK_INT(render_json(&s, &json), 0);
	check_big_json(&s, json.buf);
	CHECK(json.len > 0 && strcmp(json.buf + json.len - 5, "}\n]}\n") == 0);

	/* Memory while rendering: the estimate and the doubling keep the
	 * buffer under twice what it holds (an over-estimate or a faster
	 * growth would not). */
	CHECK(csv.alloc <= 2 * csv.len + 64);
	CHECK(json.alloc <= 2 * json.len + 64);

	/* Memory held: what the cache keeps (render_content) is the bytes
	 * and a NUL, not the buffer's spare room. The sheet is sized so that
	 * the room left by any power-of-two buffer is over 8 KiB, well above
	 * malloc's rounding (a page for an mmap'd block). */
	CHECK_INT(
	    render_sheet_bytes(&s, RENDER_FMT_CSV, NULL, &held, &held_len), 0);
	CHECK(held && same_bytes(held, held_len, want, want_len));
	for (pow2 = 64; pow2 < want_len + 1; pow2 *= 2)
		;
	CHECK(pow2 - (want_len + 1) > 8192);
	usable = held ? malloc_usable_size(held) : 0;
	if (usable > held_len + 1 + 4096)
		fprintf(stderr, "  %zu bytes held for %zu\n", usable,
			held_len + 1);
	CHECK(usable <= held_len + 1 + 4096);
out:
	free(held);
	free(want);
	sbuf_release(&csv);
	sbuf_release(&json);
	free(cells);
	free(rows);
	free(cols);
}

/* ---- NDJSON (SPEC §4) and the BOM ---- */

static struct model_column under_cols[] = {
    {.id = 31, .title = "_rowId", .type_name = "TEXT_NUMBER"},
    {.id = 32, .title = "Task", .type_name = "TEXT_NUMBER"},
    {.id = 33, .title = "_parentId", .type_name = "TEXT_NUMBER"},
    {.id = 34, .title = "Task", .type_name = "TEXT_NUMBER"},
};
static struct model_cell under_r1[] = {
    {.col = 0, .kind = MODEL_VAL_STRING, .str = "mine", .display = "mine"},
    {.col = 1, .kind = MODEL_VAL_NUMBER, .num = 0.1},
    {.col = 3, .kind = MODEL_VAL_BOOL, .flag = false},
};
static struct model_row under_rows[] = {
    {.id = 9007199254740993,
     .row_number = 1,
     .cells = under_r1,
     .ncells = SSFS_ARRAY_SIZE(under_r1)},
    {.id = 2, .parent_id = 9007199254740993, .row_number = 2},
};

static void test_render_ndjson(void)
{
	struct model_sheet u = {
	    .id = 5,
	    .name = "Under",
	    .version = 1,
	    .cols = under_cols,
	    .ncols = SSFS_ARRAY_SIZE(under_cols),
	    .rows = under_rows,
	    .nrows = 2,
	};
	struct model_sheet none = {.id = 6, .name = "None", .version = 1,
				   .cols = under_cols, .ncols = 1};

	/* The SPEC §4 example, byte for byte. */
	check_render(&plan, RENDER_FMT_NDJSON, false, false,
		     "{\"_rowId\":21,\"_rowNumber\":1,\"_parentId\":null,"
		     "\"Task\":\"Design\",\"Done\":true}\n"
		     "{\"_rowId\":22,\"_rowNumber\":2,\"_parentId\":21,"
		     "\"Task\":\"Build\"}\n",
		     "spec ndjson");
	/* Titles like the "_" keys get their column id; duplicate titles
	 * are keyed as in the JSON file; ids past 2^53 stay exact; a row
	 * with no cells has its three keys only. */
	check_render(&u, RENDER_FMT_NDJSON, false, false,
		     "{\"_rowId\":9007199254740993,\"_rowNumber\":1,"
		     "\"_parentId\":null,\"_rowId (31)\":\"mine\","
		     "\"Task\":0.1,\"Task (34)\":false}\n"
		     "{\"_rowId\":2,\"_rowNumber\":2,"
		     "\"_parentId\":9007199254740993}\n",
		     "ndjson keys");
	/* The JSON file keeps the titles as they are. */
	check_render(&u, RENDER_FMT_JSON, false, false,
		     "{\"id\":5,\"name\":\"Under\",\"version\":1,"
		     "\"columns\":[{\"id\":31,\"title\":\"_rowId\","
		     "\"type\":\"TEXT_NUMBER\"},{\"id\":32,\"title\":"
		     "\"Task\",\"type\":\"TEXT_NUMBER\"},{\"id\":33,"
		     "\"title\":\"_parentId\",\"type\":\"TEXT_NUMBER\"},"
		     "{\"id\":34,\"title\":\"Task\",\"type\":"
		     "\"TEXT_NUMBER\"}],\"rows\":[\n"
		     "{\"id\":9007199254740993,\"rowNumber\":1,"
		     "\"parentId\":null,\"cells\":{\"_rowId\":\"mine\","
		     "\"Task\":0.1,\"Task (34)\":false}},\n"
		     "{\"id\":2,\"rowNumber\":2,\"parentId\":"
		     "9007199254740993,\"cells\":{}}\n]}\n",
		     "json keys");
	/* An empty sheet is an empty file. */
	check_render(&none, RENDER_FMT_NDJSON, false, false, "",
		     "ndjson empty");
	CHECK_STR(render_fmt_ext(RENDER_FMT_NDJSON), "ndjson");
}

static void test_render_csv_bom(void)
{
	struct sbuf out = SBUF_INIT(0);
	struct render_opts o = {.bom = true, .crlf = true};

	CHECK_INT(render_sheet(&plan, RENDER_FMT_CSV, &o, &out), 0);
	CHECK_STR(out.buf, "\xEF\xBB\xBFTask,Done\r\nDesign,true\r\n"
			   "Build,\r\n");
	sbuf_reset(&out);
	/* Only CSV: the JSON file never starts with one. */
	CHECK_INT(render_sheet(&plan, RENDER_FMT_JSON, &o, &out), 0);
	CHECK(out.buf[0] == '{');
	sbuf_release(&out);
}

/* ---- reports (SPEC §7) ---- */

static struct model_column report_cols[] = {
    {.id = 1, .title = "Sheet Name", .type_name = "TEXT_NUMBER"},
    {.id = 2, .title = "_rowId", .type_name = "TEXT_NUMBER", .primary = true},
    {.id = 3, .title = "_parentId", .type_name = "CHECKBOX", .hidden = true},
};
static struct model_cell report_r1[] = {
    {.col = 0, .kind = MODEL_VAL_STRING, .str = "S"},
    {.col = 1, .kind = MODEL_VAL_NUMBER, .num = 3},
    {.col = 2, .kind = MODEL_VAL_BOOL, .flag = true},
};
/* A parent_id in a report's row is never shown: reports write sheetId. */
static struct model_row report_rows[] = {
    {.id = 10,
     .parent_id = 99,
     .row_number = 1,
     .sheet_id = 77,
     .cells = report_r1,
     .ncells = SSFS_ARRAY_SIZE(report_r1)},
    {.id = 11, .row_number = 2},
};

/* The expectations are spec_render.render_report_{csv,json,ndjson}'s
 * bytes for the same report. */
static void test_render_report(void)
{
	struct model_sheet r = {
	    .id = 5,
	    .is_report = true,
	    .name = "R",
	    .version = 8, /* a report has none; never shown */
	    .permalink = "p",
	    .modified_at = "m",
	    .total_row_count = 2,
	    .cols = report_cols,
	    .ncols = SSFS_ARRAY_SIZE(report_cols),
	    .rows = report_rows,
	    .nrows = SSFS_ARRAY_SIZE(report_rows),
	};
	struct model_sheet as_sheet = r;

	check_render(&r, RENDER_FMT_CSV, false, false,
		     "Sheet Name,_rowId,_parentId\nS,3,true\n,,\n",
		     "report csv");
	check_render(&r, RENDER_FMT_CSV, true, true,
		     "Sheet Name,_rowId,_parentId\r\nS,3,true\r\n,,\r\n",
		     "report csv display crlf");
	check_render(&r, RENDER_FMT_JSON, false, false,
		     "{\"id\":5,\"name\":\"R\",\"totalRowCount\":2,"
		     "\"permalink\":\"p\",\"modifiedAt\":\"m\",\"columns\":["
		     "{\"virtualId\":1,\"title\":\"Sheet Name\",\"type\":"
		     "\"TEXT_NUMBER\"},{\"virtualId\":2,\"title\":\"_rowId\","
		     "\"type\":\"TEXT_NUMBER\",\"primary\":true},"
		     "{\"virtualId\":3,\"title\":\"_parentId\",\"type\":"
		     "\"CHECKBOX\",\"hidden\":true}],\"rows\":[\n"
		     "{\"id\":10,\"rowNumber\":1,\"sheetId\":77,\"cells\":"
		     "{\"Sheet Name\":\"S\",\"_rowId\":3,\"_parentId\":true}},\n"
		     "{\"id\":11,\"rowNumber\":2,\"sheetId\":null,"
		     "\"cells\":{}}\n]}\n",
		     "report json");
	/* NDJSON reserves _sheetId (not _parentId) for reports. */
	check_render(&r, RENDER_FMT_NDJSON, false, false,
		     "{\"_rowId\":10,\"_rowNumber\":1,\"_sheetId\":77,"
		     "\"Sheet Name\":\"S\",\"_rowId (2)\":3,"
		     "\"_parentId\":true}\n"
		     "{\"_rowId\":11,\"_rowNumber\":2,\"_sheetId\":null}\n",
		     "report ndjson");
	/* The same model as a sheet keeps a sheet's keys. */
	as_sheet.is_report = false;
	check_render(&as_sheet, RENDER_FMT_NDJSON, false, false,
		     "{\"_rowId\":10,\"_rowNumber\":1,\"_parentId\":99,"
		     "\"Sheet Name\":\"S\",\"_rowId (2)\":3,"
		     "\"_parentId (3)\":true}\n"
		     "{\"_rowId\":11,\"_rowNumber\":2,\"_parentId\":null}\n",
		     "sheet ndjson");
	/* No totalRowCount known: the key is left out, as version is. */
	r.total_row_count = -1;
	r.nrows = 0;
	r.ncols = 0;
	check_render(&r, RENDER_FMT_JSON, false, false,
		     "{\"id\":5,\"name\":\"R\",\"permalink\":\"p\","
		     "\"modifiedAt\":\"m\",\"columns\":[],\"rows\":[\n]}\n",
		     "report json no count");
}

int main(void)
{
	T(test_render_ndjson);
	T(test_render_report);
	T(test_render_csv_bom);
	T(test_render_csv_field_quoting);
	T(test_render_json_string_escapes);
	T(test_render_json_string_roundtrip);
	T(test_render_json_spec_example);
	T(test_render_csv_values);
	T(test_render_json_values);
	T(test_render_json_duplicate_titles);
	T(test_render_empty_shapes);
	T(test_render_unicode);
	T(test_render_cap_efbig);
	T(test_render_appends_and_null_opts);
	T(test_render_json_parses);
	T(test_render_big_sheet);
	return t_run();
}
