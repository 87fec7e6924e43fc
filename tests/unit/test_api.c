#include "api/feed.h"
#include "api/jsonwalk.h"
#include "api/model.h"
#include "api/parse.h"
#include "api/sheet_parser.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/testlib.h"
#include "util/log.h"
#include "util/sbuf.h"

/* ---- helpers ---- */

static struct model_sheet *parse(const char *json, int *rc_out)
{
	struct model_sheet *s = NULL;
	int rc = api_parse_sheet(json, strlen(json), &s);

	if (rc_out)
		*rc_out = rc;
	return rc ? NULL : s;
}

static const struct model_cell *cell_at(const struct model_sheet *s,
					size_t row, uint32_t col)
{
	if (row >= s->nrows)
		return NULL;
	return model_row_cell(&s->rows[row], col);
}

static void dump_str(struct sbuf *sb, const char *s)
{
	int rc = sbuf_addf(sb, "%s|", s ? s : "(null)");

	CHECK_INT(rc, 0);
}

/* Everything the model holds, as text, to compare two parses. */
static void dump(struct sbuf *sb, const struct model_sheet *s)
{
	size_t i, j, k;
	int rc = 0;

	rc |= sbuf_addf(sb, "%" PRId64 "|%" PRId64 "|%" PRId64 "|", s->id,
			s->version, s->total_row_count);
	dump_str(sb, s->name);
	dump_str(sb, s->permalink);
	dump_str(sb, s->modified_at);
	for (i = 0; i < s->ncols; i++) {
		const struct model_column *c = &s->cols[i];

		rc |= sbuf_addf(sb, "\ncol %" PRId64 " %d %d %d ", c->id,
				(int)c->type, c->primary, c->hidden);
		dump_str(sb, c->title);
		dump_str(sb, c->type_name);
	}
	for (i = 0; i < s->nrows; i++) {
		const struct model_row *r = &s->rows[i];

		rc |= sbuf_addf(sb, "\nrow %" PRId64 " %" PRId64 " %" PRId64,
				r->id, r->parent_id, r->row_number);
		for (j = 0; j < r->ncells; j++) {
			const struct model_cell *c = &r->cells[j];

			rc |= sbuf_addf(sb, "\n  %u k%d f%d %a ", c->col,
					c->kind, c->flag, c->num);
			dump_str(sb, c->str);
			dump_str(sb, c->display);
			if (!c->multi)
				continue;
			rc |= sbuf_addf(sb, " multi%d:%u ", c->multi->contacts,
					c->multi->count);
			for (k = 0; k < c->multi->count; k++) {
				const struct model_multi *m = c->multi;

				if (m->contacts) {
					dump_str(sb, m->v.contacts[k].name);
					dump_str(sb, m->v.contacts[k].email);
				} else {
					dump_str(sb, m->v.strings[k]);
				}
			}
		}
	}
	CHECK_INT(rc, 0);
}

static char *dump_new(const struct model_sheet *s)
{
	struct sbuf sb = SBUF_INIT(0);

	dump(&sb, s);
	return sbuf_detach(&sb, NULL);
}

/* A sheet in which every column type appears, and every kind of cell. */
static const char full_sheet[] =
	"{\"id\":9007199254740993,\"name\":\"Full\",\"version\":12,"
	"\"totalRowCount\":3,\"accessLevel\":\"OWNER\","
	"\"permalink\":\"https://app.smartsheet.com/b/home?lx=x\","
	"\"createdAt\":\"2017-11-03T15:27:29Z\","
	"\"modifiedAt\":\"2018-03-02T23:50:35Z\","
	"\"userSettings\":{\"id\":\"not-an-id\",\"columns\":5,"
	"\"rows\":{\"cells\":[[{}]]}},"
	"\"columns\":["
	"{\"id\":101,\"index\":0,\"title\":\"Text\",\"type\":\"TEXT_NUMBER\","
	"\"primary\":true,\"width\":150,\"options\":[\"a\",{\"x\":[1]}]},"
	"{\"id\":102,\"title\":\"Date\",\"type\":\"DATE\",\"hidden\":true},"
	"{\"id\":103,\"title\":\"DateTime\",\"type\":\"DATETIME\"},"
	"{\"id\":104,\"title\":\"Abstract\",\"type\":\"ABSTRACT_DATETIME\"},"
	"{\"id\":105,\"title\":\"Contact\",\"type\":\"CONTACT_LIST\","
	"\"contactOptions\":[{\"name\":\"A\",\"email\":\"a@x\"}]},"
	"{\"id\":106,\"title\":\"Contacts\",\"type\":\"MULTI_CONTACT_LIST\","
	"\"version\":1},"
	"{\"id\":107,\"title\":\"Check\",\"type\":\"CHECKBOX\","
	"\"symbol\":\"FLAG\",\"hidden\":false},"
	"{\"id\":108,\"title\":\"Pick\",\"type\":\"PICKLIST\"},"
	"{\"id\":109,\"title\":\"Picks\",\"type\":\"MULTI_PICKLIST\"},"
	"{\"id\":110,\"title\":\"Dur\",\"type\":\"DURATION\"},"
	"{\"id\":111,\"title\":\"Pred\",\"type\":\"PREDECESSOR\"},"
	"{\"id\":9223372036854775807,\"title\":\"Future\","
	"\"type\":\"SOMETHING_NEW\"},"
	"{\"id\":113,\"type\":\"TEXT_NUMBER\"}"
	"],"
	"\"rows\":["
	"{\"id\":9223372036854775807,\"rowNumber\":1,\"expanded\":true,"
	"\"cells\":["
	"{\"columnId\":101,\"value\":\"Hello\",\"displayValue\":\"Hello\"},"
	"{\"columnId\":102,\"value\":\"2024-05-05\"},"
	"{\"columnId\":103,\"value\":\"2024-05-05T05:05:05Z\"},"
	"{\"columnId\":104,\"value\":\"2017-11-07T13:00:00\"},"
	"{\"columnId\":105,\"value\":\"john@x.com\","
	"\"displayValue\":\"John Doe\"},"
	"{\"columnId\":106,\"value\":\"A, B\",\"displayValue\":\"A, B\","
	"\"objectValue\":{\"objectType\":\"MULTI_CONTACT\",\"values\":["
	"{\"objectType\":\"CONTACT\",\"email\":\"a@x\",\"name\":\"A\"},"
	"{\"email\":\"b@x\"}]}},"
	"{\"columnId\":107,\"value\":true},"
	"{\"columnId\":108,\"value\":\"Red\",\"displayValue\":\"Red\"},"
	"{\"columnId\":109,\"value\":\"Bat, Cat\","
	"\"objectValue\":{\"values\":[\"Bat\",\"Cat\"],"
	"\"objectType\":\"MULTI_PICKLIST\"}},"
	"{\"columnId\":110,\"value\":\"4d 6h\",\"displayValue\":\"4d 6h\","
	"\"objectValue\":{\"objectType\":\"DURATION\",\"days\":4,"
	"\"hours\":6}},"
	"{\"columnId\":111,\"value\":\"8FS +1.5w\","
	"\"objectValue\":{\"objectType\":\"PREDECESSOR_LIST\","
	"\"predecessors\":[{\"rowId\":3,\"lag\":{\"objectType\":"
	"\"DURATION\",\"weeks\":1.5}}]}},"
	"{\"columnId\":9223372036854775807,\"value\":12345,"
	"\"displayValue\":\"12,345\",\"format\":\",,1,,,,\"},"
	"{\"columnId\":113}"
	"]},"
	"{\"id\":2,\"parentId\":9223372036854775807,\"rowNumber\":2,"
	"\"siblingId\":1,\"attachments\":[{\"id\":5,\"cells\":[]}],"
	"\"cells\":[{\"columnId\":107,\"value\":false},"
	"{\"columnId\":101,\"value\":-0.5,\"displayValue\":\"-0.5\"},"
	"{\"columnId\":102},{\"columnId\":103,\"value\":null},"
	"{\"columnId\":104,\"displayValue\":\"only display\"},"
	"{\"columnId\":999,\"value\":\"unknown column\"}]},"
	"{\"id\":3,\"rowNumber\":3}"
	"]}";

/* ---- api_parse_int64 ---- */

static void test_api_parse_int64_table(void)
{
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} t[] = {
		{"0", 0, 0},
		{"-0", 0, 0},
		{"7", 0, 7},
		{"-42", 0, -42},
		{"007", 0, 7},
		{"9007199254740993", 0, 9007199254740993LL},
		{"9223372036854775807", 0, INT64_MAX},
		{"-9223372036854775808", 0, INT64_MIN},
		{"9223372036854775808", -ERANGE, 0},
		{"-9223372036854775809", -ERANGE, 0},
		{"99999999999999999999", -ERANGE, 0},
		/* 18 digits or fewer go unchecked (jsonwalk.c): the edges */
		{"999999999999999999", 0, 999999999999999999LL},
		{"-999999999999999999", 0, -999999999999999999LL},
		{"1000000000000000000", 0, 1000000000000000000LL},
		{"9223372036854775810", -ERANGE, 0},
		{"18446744073709551616", -ERANGE, 0},
		{"0000000000000000000000000001", 0, 1},
		{"00000000009223372036854775807", 0, INT64_MAX},
		{"-00000000009223372036854775808", 0, INT64_MIN},
		{"00000000009223372036854775808", -ERANGE, 0},
		{"12345678901234567x", -EINVAL, 0},
		{"1234567890123456789x", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"-", -EINVAL, 0},
		{"+1", -EINVAL, 0},
		{"1.0", -EINVAL, 0},
		{"1e5", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"12a", -EINVAL, 0},
		{"--1", -EINVAL, 0},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		int64_t v = 12345;
		int rc = api_parse_int64(t[i].in, strlen(t[i].in), &v);

		if (rc != t[i].rc || (rc == 0 && v != t[i].want))
			fprintf(stderr, "  case \"%s\"\n", t[i].in);
		CHECK_INT(rc, t[i].rc);
		if (rc == 0)
			CHECK_INT(v, t[i].want);
		else
			CHECK_INT(v, 12345);
	}
}

static void test_api_parse_int64_length(void)
{
	int64_t v = 0;

	/* Only len bytes count: the digits need no terminator. */
	CHECK_INT(api_parse_int64("123456", 3, &v), 0);
	CHECK_INT(v, 123);
	CHECK_INT(api_parse_int64("12,", 2, &v), 0);
	CHECK_INT(v, 12);
}

/* Every length up to 19 digits, signed or not, against strtoll; a bad
 * byte at any place (the eight-digit blocks test all eight at once). */
static void test_api_parse_int64_digits(void)
{
	static const char bad[] = {'/', ':', ' ', 'a', '.', '\x06', '\x3f',
				   '\xf9', '\xfa', '\xff'};
	char buf[24];
	size_t len, k, b;
	unsigned seed = 12345;
	int neg, n;

	for (len = 1; len <= 19; len++) {
		for (neg = 0; neg < 2; neg++) {
			for (n = 0; n < 20; n++) {
				int64_t v = 0;

				buf[0] = '-';
				for (k = 0; k < len; k++) {
					seed = seed * 1103515245u + 12345u;
					buf[neg + k] = (char)('0' + (seed >> 16) % 10);
				}
				buf[neg + len] = '\0';
				if (len == 19)
					buf[neg] = '1'; /* stay below 2^63 */
				CHECK_INT(api_parse_int64(buf, neg + len, &v), 0);
				CHECK_INT(v, strtoll(buf, NULL, 10));
			}
			for (k = 0; k < len; k++) {
				for (b = 0; b < sizeof(bad); b++) {
					int64_t v = 7;

					memset(buf + neg, '5', len);
					buf[neg + k] = bad[b];
					CHECK_INT(api_parse_int64(buf, neg + len,
								  &v),
						  -EINVAL);
					CHECK_INT(v, 7);
				}
			}
		}
	}
}

/* ---- the sheet parser ---- */

static void test_api_sheet_fields(void)
{
	struct model_sheet *s = parse(full_sheet, NULL);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->id == 9007199254740993LL);
	CHECK_STR(s->name, "Full");
	CHECK_INT(s->version, 12);
	CHECK_INT(s->total_row_count, 3);
	CHECK_STR(s->permalink, "https://app.smartsheet.com/b/home?lx=x");
	CHECK_STR(s->modified_at, "2018-03-02T23:50:35Z");
	CHECK_INT(s->ncols, 13);
	CHECK_INT(s->nrows, 3);
	model_sheet_free(s);
}

static void test_api_sheet_column_types(void)
{
	static const struct {
		const char *title;
		const char *type_name;
		enum model_col_type type;
		bool primary, hidden;
	} want[] = {
		{"Text", "TEXT_NUMBER", MODEL_COL_TEXT_NUMBER, true, false},
		{"Date", "DATE", MODEL_COL_DATE, false, true},
		{"DateTime", "DATETIME", MODEL_COL_DATETIME, false, false},
		{"Abstract", "ABSTRACT_DATETIME", MODEL_COL_ABSTRACT_DATETIME,
		 false, false},
		{"Contact", "CONTACT_LIST", MODEL_COL_CONTACT_LIST, false,
		 false},
		{"Contacts", "MULTI_CONTACT_LIST", MODEL_COL_MULTI_CONTACT_LIST,
		 false, false},
		{"Check", "CHECKBOX", MODEL_COL_CHECKBOX, false, false},
		{"Pick", "PICKLIST", MODEL_COL_PICKLIST, false, false},
		{"Picks", "MULTI_PICKLIST", MODEL_COL_MULTI_PICKLIST, false,
		 false},
		{"Dur", "DURATION", MODEL_COL_DURATION, false, false},
		{"Pred", "PREDECESSOR", MODEL_COL_PREDECESSOR, false, false},
		{"Future", "SOMETHING_NEW", MODEL_COL_OTHER, false, false},
		{"", "TEXT_NUMBER", MODEL_COL_TEXT_NUMBER, false, false},
	};
	struct model_sheet *s = parse(full_sheet, NULL);
	size_t i;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->ncols, SSFS_ARRAY_SIZE(want));
	for (i = 0; i < s->ncols && i < SSFS_ARRAY_SIZE(want); i++) {
		CHECK_STR(s->cols[i].title, want[i].title);
		CHECK_STR(s->cols[i].type_name, want[i].type_name);
		CHECK_INT(s->cols[i].type, want[i].type);
		CHECK_INT(s->cols[i].primary, want[i].primary);
		CHECK_INT(s->cols[i].hidden, want[i].hidden);
	}
	CHECK_INT(s->cols[0].id, 101);
	CHECK(s->cols[11].id == INT64_MAX);
	model_sheet_free(s);
}

/* What write-back needs: access level, system and formula columns, locks,
 * options, formula cells (SPEC §8). */
static void test_api_sheet_write_fields(void)
{
	static const char json[] =
	    "{\"id\":5,\"name\":\"W\",\"version\":3,"
	    "\"accessLevel\":\"EDITOR\",\"columns\":["
	    "{\"id\":1,\"title\":\"Task\",\"type\":\"TEXT_NUMBER\","
	    "\"primary\":true},"
	    "{\"id\":2,\"title\":\"No\",\"type\":\"TEXT_NUMBER\","
	    "\"systemColumnType\":\"AUTO_NUMBER\",\"autoNumberFormat\":"
	    "{\"fill\":\"000\"}},"
	    "{\"id\":3,\"title\":\"Sum\",\"type\":\"TEXT_NUMBER\","
	    "\"formula\":\"=[No]@row * 2\",\"locked\":true,"
	    "\"lockedForUser\":true},"
	    "{\"id\":4,\"title\":\"Pick\",\"type\":\"MULTI_PICKLIST\","
	    "\"options\":[\"Dog, Hot\",\"Cat\"],\"formula\":\"\"},"
	    "{\"id\":6,\"title\":\"By\",\"type\":\"CONTACT_LIST\","
	    "\"systemColumnType\":\"MODIFIED_BY\",\"options\":null}],"
	    "\"rows\":[{\"id\":10,\"rowNumber\":1,\"locked\":true,"
	    "\"cells\":[{\"columnId\":1,\"value\":\"a\"},"
	    "{\"columnId\":3,\"value\":4,\"formula\":\"=2+2\"}]},"
	    "{\"id\":11,\"rowNumber\":2,\"locked\":false,"
	    "\"cells\":[{\"columnId\":1,\"value\":\"b\","
	    "\"formula\":null}]}]}";
	struct model_sheet *s = parse(json, NULL);
	const struct model_cell *c;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->access_level, "EDITOR");
	CHECK_INT(s->ncols, 5);
	CHECK_INT(s->cols[0].system_type, MODEL_SYS_NONE);
	CHECK_INT(s->cols[1].system_type, MODEL_SYS_AUTO_NUMBER);
	CHECK_INT(s->cols[4].system_type, MODEL_SYS_MODIFIED_BY);
	CHECK(!s->cols[0].formula && s->cols[2].formula && !s->cols[3].formula);
	CHECK(!s->cols[1].locked && s->cols[2].locked);
	CHECK_INT(s->cols[3].noptions, 2);
	if (s->cols[3].noptions == 2) {
		CHECK_STR(s->cols[3].options[0], "Dog, Hot");
		CHECK_STR(s->cols[3].options[1], "Cat");
	}
	CHECK(s->cols[4].options == NULL);
	CHECK_INT(s->nrows, 2);
	CHECK(s->rows[0].locked && !s->rows[1].locked);
	c = model_row_cell(&s->rows[0], 2);
	CHECK(c && c->formula);
	c = model_row_cell(&s->rows[0], 0);
	CHECK(c && !c->formula);
	c = model_row_cell(&s->rows[1], 0);
	CHECK(c && !c->formula);
	CHECK(model_locked_for_user(s, true));
	model_sheet_free(s);
	/* Options that are not an array: a malformed answer. */
	s = parse("{\"id\":5,\"columns\":[{\"id\":1,\"options\":7}]}",
		  NULL);
	CHECK(s == NULL);
}

static void test_api_sheet_cells(void)
{
	struct model_sheet *s = parse(full_sheet, NULL);
	const struct model_cell *c;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->rows[0].id == INT64_MAX);
	CHECK_INT(s->rows[0].parent_id, 0);
	CHECK_INT(s->rows[0].row_number, 1);
	/* 13 cells sent, the last one empty. */
	CHECK_INT(s->rows[0].ncells, 12);

	c = cell_at(s, 0, 0);
	CHECK(c && c->kind == MODEL_VAL_STRING);
	CHECK_STR(c ? c->str : NULL, "Hello");
	CHECK_STR(c ? c->display : NULL, "Hello");
	c = cell_at(s, 0, 1);
	CHECK_STR(c ? c->str : NULL, "2024-05-05");
	CHECK(c && c->display == NULL);
	c = cell_at(s, 0, 4);
	CHECK_STR(c ? c->str : NULL, "john@x.com");
	CHECK_STR(c ? c->display : NULL, "John Doe");
	c = cell_at(s, 0, 6);
	CHECK(c && c->kind == MODEL_VAL_BOOL && c->flag);
	c = cell_at(s, 0, 9);
	CHECK_STR(c ? c->str : NULL, "4d 6h");
	CHECK(c && c->multi == NULL); /* a DURATION objectValue */
	c = cell_at(s, 0, 10);
	CHECK_STR(c ? c->str : NULL, "8FS +1.5w");
	CHECK(c && c->multi == NULL); /* a PREDECESSOR_LIST objectValue */
	c = cell_at(s, 0, 11);
	CHECK(c && c->kind == MODEL_VAL_NUMBER && c->num == 12345.0);
	CHECK_STR(c ? c->display : NULL, "12,345");
	CHECK(cell_at(s, 0, 12) == NULL);

	CHECK_INT(s->rows[1].id, 2);
	CHECK(s->rows[1].parent_id == INT64_MAX);
	CHECK_INT(s->rows[1].row_number, 2);
	/* Sorted by column; empty, null and unknown-column cells left out. */
	CHECK_INT(s->rows[1].ncells, 3);
	CHECK_INT(s->rows[1].cells[0].col, 0);
	CHECK_INT(s->rows[1].cells[1].col, 3);
	CHECK_INT(s->rows[1].cells[2].col, 6);
	c = cell_at(s, 1, 0);
	CHECK(c && c->kind == MODEL_VAL_NUMBER && c->num == -0.5);
	c = cell_at(s, 1, 3);
	CHECK(c && c->kind == MODEL_VAL_NONE);
	CHECK_STR(c ? c->display : NULL, "only display");
	c = cell_at(s, 1, 6);
	CHECK(c && c->kind == MODEL_VAL_BOOL && !c->flag);
	CHECK(cell_at(s, 1, 2) == NULL);

	CHECK_INT(s->rows[2].ncells, 0);
	CHECK(s->rows[2].cells == NULL);
	model_sheet_free(s);
}

static void test_api_sheet_multi(void)
{
	struct model_sheet *s = parse(full_sheet, NULL);
	const struct model_cell *c;
	const struct model_multi *m;

	CHECK(s != NULL);
	if (!s)
		return;
	c = cell_at(s, 0, 5);
	m = c ? c->multi : NULL;
	CHECK(m && m->contacts && m->count == 2);
	if (m && m->contacts && m->count == 2) {
		CHECK_STR(m->v.contacts[0].name, "A");
		CHECK_STR(m->v.contacts[0].email, "a@x");
		CHECK(m->v.contacts[1].name == NULL);
		CHECK_STR(m->v.contacts[1].email, "b@x");
	}
	c = cell_at(s, 0, 8);
	m = c ? c->multi : NULL;
	CHECK(m && !m->contacts && m->count == 2);
	if (m && !m->contacts && m->count == 2) {
		CHECK_STR(m->v.strings[0], "Bat");
		CHECK_STR(m->v.strings[1], "Cat");
	}
	model_sheet_free(s);
}

#define ONE_COL_HEAD                                                       \
	"{\"id\":1,\"columns\":[{\"id\":7,\"type\":\"MULTI_PICKLIST\"}],"  \
	"\"rows\":[{\"id\":1,\"cells\":[{\"columnId\":7,\"objectValue\":"

static void test_api_sheet_multi_shapes(void)
{
	static const struct {
		const char *ov;
		int kind; /* -1: no multi, 0: strings, 1: contacts */
		unsigned count;
		const char *first; /* string, or contact email */
	} t[] = {
		{"{\"objectType\":\"MULTI_PICKLIST\",\"values\":[\"x\"]}", 0,
		 1, "x"},
		{"{\"values\":[\"x\",\"y\"],\"objectType\":\"MULTI_PICKLIST\"}",
		 0, 2, "x"},
		{"{\"objectType\":\"MULTI_CONTACT\",\"values\":"
		 "[{\"email\":\"e\",\"name\":\"n\"}]}",
		 1, 1, "e"},
		{"{\"values\":[{\"name\":\"n\",\"email\":\"e\","
		 "\"objectType\":\"CONTACT\",\"extra\":{\"a\":[1]}}],"
		 "\"objectType\":\"MULTI_CONTACT\"}",
		 1, 1, "e"},
		{"{\"objectType\":\"MULTI_PICKLIST\",\"values\":[]}", 0, 0,
		 NULL},
		/* shapes that are not kept */
		{"{\"objectType\":\"MULTI_PICKLIST\",\"values\":"
		 "[\"x\",{\"email\":\"e\"}]}",
		 -1, 0, NULL},
		{"{\"objectType\":\"MULTI_CONTACT\",\"values\":[\"x\"]}", -1, 0,
		 NULL},
		{"{\"objectType\":\"MULTI_PICKLIST\",\"values\":[1,\"x\"]}", -1,
		 0, NULL},
		{"{\"objectType\":\"MULTI_PICKLIST\",\"values\":\"x\"}", -1, 0,
		 NULL},
		{"{\"objectType\":\"MULTI_PICKLIST\"}", -1, 0, NULL},
		{"{\"values\":[\"x\"]}", -1, 0, NULL},
		{"{\"objectType\":\"OTHER\",\"values\":[\"x\"]}", -1, 0, NULL},
		{"{\"objectType\":7,\"values\":[\"x\"]}", -1, 0, NULL},
		{"\"MULTI_PICKLIST\"", -1, 0, NULL},
		{"[\"x\"]", -1, 0, NULL},
		{"12", -1, 0, NULL},
		{"null", -1, 0, NULL},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		struct sbuf sb = SBUF_INIT(0);
		struct model_sheet *s;
		const struct model_cell *c;
		const struct model_multi *m;
		int rc;

		rc = sbuf_addf(&sb, "%s%s,\"value\":\"v\"}]}]}", ONE_COL_HEAD,
			       t[i].ov);
		CHECK_INT(rc, 0);
		s = parse(sb.buf, &rc);
		CHECK_INT(rc, 0);
		c = s ? cell_at(s, 0, 0) : NULL;
		CHECK(c != NULL);
		m = c ? c->multi : NULL;
		if ((t[i].kind < 0) != (m == NULL))
			fprintf(stderr, "  case %zu: %s\n", i, t[i].ov);
		if (t[i].kind < 0) {
			CHECK(m == NULL);
		} else if (m) {
			CHECK_INT(m->contacts, t[i].kind);
			CHECK_INT(m->count, t[i].count);
			if (t[i].first && m->count && m->contacts)
				CHECK_STR(m->v.contacts[0].email, t[i].first);
			else if (t[i].first && m->count)
				CHECK_STR(m->v.strings[0], t[i].first);
		} else {
			CHECK(m != NULL);
		}
		CHECK_STR(c ? c->str : NULL, "v");
		model_sheet_free(s);
		sbuf_release(&sb);
	}
}

static void test_api_sheet_multi_only(void)
{
	/* A cell whose only content is the objectValue is kept. */
	struct model_sheet *s = parse(
		ONE_COL_HEAD "{\"objectType\":\"MULTI_PICKLIST\","
			     "\"values\":[\"a\"]}}]}]}",
		NULL);
	const struct model_cell *c = s ? cell_at(s, 0, 0) : NULL;

	CHECK(c != NULL);
	CHECK(c && c->kind == MODEL_VAL_NONE && c->multi &&
	      c->multi->count == 1);
	model_sheet_free(s);
}

static void test_api_sheet_numbers(void)
{
	static const char *const nums[] = {
		"0", "-0", "1", "-1", "42", "0.5", "-0.5", "0.1", "3.14159",
		"1e3", "1E3", "2.5e-3", "-2.5E+3", "1e22", "1e23", "1e-22",
		"1e-23", "9007199254740992", "9007199254740993",
		"123456789012345678901234567890", "0.30000000000000004",
		"1.7976931348623157e308", "4.9e-324", "1e-400",
		"12345.678901234567", "100000000000000000000000",
		"0.000000000000000000000000000001",
	};
	struct sbuf sb = SBUF_INIT(0);
	struct model_sheet *s;
	size_t i;
	int rc = 0;

	rc |= sbuf_addstr(&sb, "{\"id\":1,\"columns\":[{\"id\":7}],"
			       "\"rows\":[");
	for (i = 0; i < SSFS_ARRAY_SIZE(nums); i++)
		rc |= sbuf_addf(&sb,
				"%s{\"id\":%zu,\"cells\":[{\"columnId\":7,"
				"\"value\":%s}]}",
				i ? "," : "", i + 1, nums[i]);
	rc |= sbuf_addstr(&sb, "]}");
	CHECK_INT(rc, 0);
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, 0);
	for (i = 0; s && i < SSFS_ARRAY_SIZE(nums) && i < s->nrows; i++) {
		const struct model_cell *c = cell_at(s, i, 0);
		double want = strtod(nums[i], NULL);

		CHECK(c && c->kind == MODEL_VAL_NUMBER);
		if (!c)
			continue;
		if (memcmp(&c->num, &want, sizeof(want)) != 0)
			fprintf(stderr, "  %s: got %a, want %a\n", nums[i],
				c->num, want);
		CHECK(memcmp(&c->num, &want, sizeof(want)) == 0);
	}
	CHECK(s && signbit(s->rows[1].cells[0].num));
	model_sheet_free(s);
	sbuf_release(&sb);
}

static void test_api_sheet_number_overflow(void)
{
	int rc;

	CHECK(parse("{\"id\":1,\"columns\":[{\"id\":7}],\"rows\":[{\"id\":1,"
		    "\"cells\":[{\"columnId\":7,\"value\":1e400}]}]}",
		    &rc) == NULL);
	CHECK_INT(rc, -EIO);
}

static void test_api_sheet_ids_exact(void)
{
	static const struct {
		const char *id;
		int rc;
		int64_t want;
	} t[] = {
		{"9007199254740993", 0, 9007199254740993LL},
		{"9223372036854775807", 0, INT64_MAX},
		{"-5", 0, -5},
		{"9223372036854775808", -EIO, 0},
		{"1.0", -EIO, 0},
		{"1e3", -EIO, 0},
		{"\"123\"", -EIO, 0},
		{"true", -EIO, 0},
		{"null", -EIO, 0},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		struct sbuf sb = SBUF_INIT(0);
		struct model_sheet *s;
		int rc;

		/* The same value as sheet id, column id, columnId, row id. */
		rc = sbuf_addf(&sb,
			       "{\"id\":%s,\"columns\":[{\"id\":%s}],"
			       "\"rows\":[{\"id\":%s,\"parentId\":%s,"
			       "\"cells\":[{\"columnId\":%s,\"value\":1}]}]}",
			       t[i].id, t[i].id, t[i].id, t[i].id, t[i].id);
		CHECK_INT(rc, 0);
		s = parse(sb.buf, &rc);
		if (rc != t[i].rc)
			fprintf(stderr, "  case %s\n", t[i].id);
		CHECK_INT(rc, t[i].rc);
		if (s) {
			CHECK(s->id == t[i].want);
			CHECK(s->cols[0].id == t[i].want);
			CHECK(s->rows[0].id == t[i].want);
			CHECK(s->rows[0].parent_id == t[i].want);
			CHECK_INT(s->rows[0].ncells, 1);
		}
		model_sheet_free(s);
		sbuf_release(&sb);
	}
}

static void test_api_sheet_defaults(void)
{
	struct model_sheet *s = parse("{\"id\":5,\"columns\":[]}", NULL);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->name, "");
	CHECK_INT(s->version, -1);
	CHECK_INT(s->total_row_count, -1);
	CHECK(s->permalink == NULL);
	CHECK(s->modified_at == NULL);
	CHECK_INT(s->ncols, 0);
	CHECK_INT(s->nrows, 0);
	CHECK(s->rows == NULL);
	model_sheet_free(s);

	/* null is "not sent" for the optional fields */
	s = parse("{\"id\":5,\"name\":null,\"version\":null,\"permalink\":null,"
		  "\"rows\":null,\"columns\":[{\"id\":1,\"title\":null,"
		  "\"primary\":null}]}",
		  NULL);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->name, "");
	CHECK_INT(s->version, -1);
	CHECK_STR(s->cols[0].title, "");
	CHECK_STR(s->cols[0].type_name, "");
	CHECK_INT(s->cols[0].type, MODEL_COL_OTHER);
	model_sheet_free(s);
}

static void test_api_sheet_duplicates_and_order(void)
{
	struct model_sheet *s = parse(
		"{\"id\":1,\"columns\":[{\"id\":10},{\"id\":20},{\"id\":30}],"
		"\"rows\":[{\"id\":1,\"cells\":["
		"{\"columnId\":30,\"value\":\"c\"},"
		"{\"columnId\":10,\"value\":\"a1\"},"
		"{\"columnId\":20,\"value\":\"b\"},"
		"{\"columnId\":10,\"value\":\"a2\"},"
		"{\"columnId\":10}"
		"]},{\"id\":2,\"cells\":["
		"{\"columnId\":20,\"value\":\"x\"},"
		"{\"columnId\":20,\"value\":\"y\"}]}]}",
		NULL);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->rows[0].ncells, 3);
	CHECK_STR(cell_at(s, 0, 0)->str, "a2");
	CHECK_STR(cell_at(s, 0, 1)->str, "b");
	CHECK_STR(cell_at(s, 0, 2)->str, "c");
	CHECK_INT(s->rows[1].ncells, 1);
	CHECK_STR(cell_at(s, 1, 1)->str, "y");
	model_sheet_free(s);
}

static void test_api_sheet_many_cells_unsorted(void)
{
	struct sbuf sb = SBUF_INIT(0);
	struct model_sheet *s;
	int i, rc = 0;

	/* 100 columns, cells sent in reverse, each column twice. */
	rc |= sbuf_addstr(&sb, "{\"id\":1,\"columns\":[");
	for (i = 0; i < 100; i++)
		rc |= sbuf_addf(&sb, "%s{\"id\":%d}", i ? "," : "", 1000 + i);
	rc |= sbuf_addstr(&sb, "],\"rows\":[{\"id\":1,\"cells\":[");
	for (i = 199; i >= 0; i--)
		rc |= sbuf_addf(&sb, "%s{\"columnId\":%d,\"value\":%d}",
				i < 199 ? "," : "", 1000 + i % 100, i);
	rc |= sbuf_addstr(&sb, "]}]}");
	CHECK_INT(rc, 0);
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, 0);
	if (s) {
		CHECK_INT(s->rows[0].ncells, 100);
		for (i = 0; i < 100; i++) {
			CHECK_INT(s->rows[0].cells[i].col, i);
			/* column i got i + 100 first, then i: the last wins */
			CHECK(s->rows[0].cells[i].num == (double)i);
		}
	}
	model_sheet_free(s);
	sbuf_release(&sb);
}

static void test_api_sheet_rows_before_columns(void)
{
	static const char rows_first[] =
		"{\"rows\":[{\"id\":1,\"cells\":["
		"{\"columnId\":20,\"value\":\"b\"},"
		"{\"columnId\":10,\"value\":\"a\"},"
		"{\"columnId\":99,\"value\":\"gone\"},"
		"{\"columnId\":20,\"value\":\"b2\"}]},"
		"{\"id\":2,\"cells\":[{\"columnId\":99,\"value\":1}]}],"
		"\"id\":1,\"columns\":[{\"id\":10},{\"id\":20}]}";
	static const char cols_first[] =
		"{\"id\":1,\"columns\":[{\"id\":10},{\"id\":20}],"
		"\"rows\":[{\"id\":1,\"cells\":["
		"{\"columnId\":20,\"value\":\"b\"},"
		"{\"columnId\":10,\"value\":\"a\"},"
		"{\"columnId\":99,\"value\":\"gone\"},"
		"{\"columnId\":20,\"value\":\"b2\"}]},"
		"{\"id\":2,\"cells\":[{\"columnId\":99,\"value\":1}]}]}";
	struct model_sheet *a = parse(rows_first, NULL);
	struct model_sheet *b = parse(cols_first, NULL);
	char *da, *db;

	CHECK(a != NULL && b != NULL);
	if (!a || !b)
		goto out;
	da = dump_new(a);
	db = dump_new(b);
	CHECK_STR(da, db);
	CHECK_INT(a->rows[0].ncells, 2);
	CHECK_STR(cell_at(a, 0, 1)->str, "b2");
	CHECK_INT(a->rows[1].ncells, 0);
	free(da);
	free(db);
out:
	model_sheet_free(a);
	model_sheet_free(b);
}

static void test_api_sheet_strings(void)
{
	struct model_sheet *s = parse(
		"{\"id\":1,\"name\":\"a\\u0000b\",\"columns\":[{\"id\":1,"
		"\"title\":\"caf\\u00e9 \\ud83d\\ude00\"},{\"id\":2,"
		"\"title\":\"lone \\udc00 x\"},{\"id\":3,"
		"\"title\":\"q\\\"\\\\\\/\\n\\t\"}],\"rows\":[{\"id\":1,"
		"\"cells\":[{\"columnId\":1,\"value\":\"\\u0000\","
		"\"displayValue\":\"\\ufffd\"},{\"columnId\":2,"
		"\"value\":\"x\\u0000y\",\"displayValue\":\"x\"}]}]}",
		NULL);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->name, "a\xEF\xBF\xBD" "b");
	CHECK_STR(s->cols[0].title, "caf\xC3\xA9 \xF0\x9F\x98\x80");
	CHECK_STR(s->cols[1].title, "lone \xEF\xBF\xBD x");
	CHECK_STR(s->cols[2].title, "q\"\\/\n\t");
	CHECK_STR(cell_at(s, 0, 0)->str, "\xEF\xBF\xBD");
	CHECK_STR(cell_at(s, 0, 0)->display, "\xEF\xBF\xBD");
	CHECK_STR(cell_at(s, 0, 1)->str, "x\xEF\xBF\xBDy");
	CHECK_STR(cell_at(s, 0, 1)->display, "x");
	model_sheet_free(s);
}

static void test_api_sheet_value_display_shared(void)
{
	struct model_sheet *s = parse(
		"{\"id\":1,\"columns\":[{\"id\":1},{\"id\":2},{\"id\":3}],"
		"\"rows\":[{\"id\":1,\"cells\":["
		"{\"columnId\":1,\"value\":\"same\",\"displayValue\":\"same\"},"
		"{\"columnId\":2,\"displayValue\":\"same\",\"value\":\"same\"},"
		"{\"columnId\":3,\"value\":\"a\\u0000bcd\","
		"\"displayValue\":\"a\\ufffd\"}]}]}",
		NULL);
	const struct model_cell *c;

	CHECK(s != NULL);
	if (!s)
		return;
	c = cell_at(s, 0, 0);
	CHECK(c && c->str == c->display);
	c = cell_at(s, 0, 1);
	CHECK(c && c->str == c->display);
	CHECK_STR(c ? c->str : NULL, "same");
	/* A prefix of the stored value is not the same string. */
	c = cell_at(s, 0, 2);
	CHECK_STR(c ? c->str : NULL, "a\xEF\xBF\xBD" "bcd");
	CHECK_STR(c ? c->display : NULL, "a\xEF\xBF\xBD");
	model_sheet_free(s);
}

static void test_api_sheet_bytewise(void)
{
	struct sheet_parser *p = sheet_parser_new();
	struct model_sheet *whole = parse(full_sheet, NULL), *s = NULL;
	size_t i, n = strlen(full_sheet);
	char *a = NULL, *b = NULL;
	int rc = 0;

	CHECK(p != NULL && whole != NULL);
	if (!p || !whole)
		goto out;
	for (i = 0; i < n && !rc; i++)
		rc = sheet_parser_feed(p, full_sheet + i, 1);
	CHECK_INT(rc, 0);
	CHECK_INT(sheet_parser_finish(p, &s), 0);
	if (!s)
		goto out;
	a = dump_new(whole);
	b = dump_new(s);
	CHECK_STR(a, b);
out:
	free(a);
	free(b);
	model_sheet_free(s);
	model_sheet_free(whole);
	sheet_parser_free(p);
}

static void test_api_sheet_chunks(void)
{
	static const size_t sizes[] = {2, 3, 7, 64, 1000};
	struct model_sheet *whole = parse(full_sheet, NULL);
	size_t n = strlen(full_sheet), k, i;
	char *a = whole ? dump_new(whole) : NULL;

	CHECK(a != NULL);
	for (k = 0; a && k < SSFS_ARRAY_SIZE(sizes); k++) {
		struct sheet_parser *p = sheet_parser_new();
		struct model_sheet *s = NULL;
		char *b;
		int rc = 0;

		for (i = 0; i < n && !rc; i += sizes[k])
			rc = sheet_parser_feed(p, full_sheet + i,
					       n - i < sizes[k] ? n - i
								: sizes[k]);
		CHECK_INT(rc, 0);
		CHECK_INT(sheet_parser_finish(p, &s), 0);
		b = s ? dump_new(s) : NULL;
		CHECK_STR(a, b);
		free(b);
		model_sheet_free(s);
		sheet_parser_free(p);
	}
	free(a);
	model_sheet_free(whole);
}

static void test_api_sheet_reset(void)
{
	struct sheet_parser *p = sheet_parser_new();
	struct model_sheet *s = NULL, *s2 = NULL;
	size_t n = strlen(full_sheet);

	CHECK(p != NULL);
	if (!p)
		return;
	/* Half a body, then a retry from the start. */
	CHECK_INT(sheet_parser_feed(p, full_sheet, n / 2), 0);
	CHECK_INT(sheet_parser_reset(p), 0);
	CHECK_INT(sheet_parser_feed(p, full_sheet, n), 0);
	CHECK_INT(sheet_parser_finish(p, &s), 0);
	CHECK(s && s->nrows == 3 && s->ncols == 13);
	/* Finished: no more input until a reset. */
	CHECK_INT(sheet_parser_feed(p, "{", 1), -EINVAL);
	CHECK_INT(sheet_parser_finish(p, &s2), -EINVAL);
	/* An error is sticky until a reset. */
	CHECK_INT(sheet_parser_reset(p), 0);
	CHECK_INT(sheet_parser_feed(p, "[", 1), -EIO);
	CHECK_INT(sheet_parser_feed(p, "{", 1), -EIO);
	CHECK_INT(sheet_parser_finish(p, &s2), -EIO);
	CHECK(s2 == NULL);
	CHECK_INT(sheet_parser_reset(p), 0);
	CHECK_INT(sheet_parser_feed(p, full_sheet, n), 0);
	CHECK_INT(sheet_parser_finish(p, &s2), 0);
	CHECK(s2 && s2->nrows == 3);
	model_sheet_free(s);
	model_sheet_free(s2);
	sheet_parser_free(p);
	sheet_parser_free(NULL);
}

/* A body of about 3 MB: 4000 rows of 10 cells, enough pieces of 256 KiB
 * for the feed's thread and its backpressure. */
static char *big_body(size_t *len)
{
	struct sbuf sb = SBUF_INIT(0);
	int r, c, rc = 0;

	rc |= sbuf_addstr(&sb, "{\"id\":9,\"version\":3,\"columns\":[");
	for (c = 0; c < 10; c++)
		rc |= sbuf_addf(&sb, "%s{\"id\":%d,\"title\":\"C%d\"}",
				c ? "," : "", 100 + c, c);
	rc |= sbuf_addstr(&sb, "],\"rows\":[");
	for (r = 0; r < 4000; r++) {
		rc |= sbuf_addf(&sb, "%s{\"id\":%d,\"cells\":[", r ? "," : "",
				r + 1);
		for (c = 0; c < 10; c++)
			rc |= sbuf_addf(&sb,
					"%s{\"columnId\":%d,\"value\":\"row %d "
					"cell %d, some text to make it long\"}",
					c ? "," : "", 100 + c, r, c);
		rc |= sbuf_addstr(&sb, "]}");
	}
	rc |= sbuf_addstr(&sb, "]}");
	if (rc) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, len);
}

/* Feed body through a feed in pieces of k bytes. */
static int feed_pieces(struct feed *f, const char *body, size_t n, size_t k)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i += k)
		rc = feed_write(f, body + i, n - i < k ? n - i : k);
	return rc;
}

static void test_api_feed_same_model_as_direct(void)
{
	static const size_t sizes[] = {16384, 1000, 300000, 7};
	size_t n = 0, k;
	char *body = big_body(&n);
	struct model_sheet *whole = body ? parse(body, NULL) : NULL;
	char *a = whole ? dump_new(whole) : NULL;

	CHECK(a != NULL && n > ((size_t)2 << 20));
	for (k = 0; a && k < SSFS_ARRAY_SIZE(sizes); k++) {
		struct sheet_parser *p = sheet_parser_new();
		struct feed *f = p ? feed_new(p) : NULL;
		struct model_sheet *s = NULL;
		char *b;

		CHECK(f != NULL);
		if (!f) {
			sheet_parser_free(p);
			break;
		}
		CHECK_INT(feed_pieces(f, body, n, sizes[k]), 0);
		CHECK_INT(feed_finish(f, &s), 0);
		b = s ? dump_new(s) : NULL;
		CHECK_STR(a, b);
		free(b);
		model_sheet_free(s);
		feed_free(f);
		sheet_parser_free(p);
	}
	/* A small body never needs the thread, and parses the same. */
	{
		struct sheet_parser *p = sheet_parser_new();
		struct feed *f = p ? feed_new(p) : NULL;
		struct model_sheet *s = NULL;

		CHECK_INT(feed_write(f, full_sheet, strlen(full_sheet)), 0);
		CHECK_INT(feed_finish(f, &s), 0);
		CHECK(s && s->nrows == 3 && s->ncols == 13);
		model_sheet_free(s);
		feed_free(f);
		sheet_parser_free(p);
	}
	free(a);
	model_sheet_free(whole);
	free(body);
}

static void test_api_feed_reset_and_errors(void)
{
	size_t n = 0;
	char *body = big_body(&n);
	struct sheet_parser *p = sheet_parser_new();
	struct feed *f = p ? feed_new(p) : NULL;
	struct model_sheet *s = NULL;
	char *bad;
	int rc;

	CHECK(body && f);
	if (!body || !f)
		goto out;
	/* Most of a body (the thread is busy), then a retry from the start. */
	CHECK_INT(feed_pieces(f, body, n * 3 / 4, 16384), 0);
	CHECK_INT(feed_reset(f), 0);
	CHECK_INT(feed_pieces(f, body, n, 16384), 0);
	CHECK_INT(feed_finish(f, &s), 0);
	CHECK(s && s->nrows == 4000 && s->ncols == 10);
	model_sheet_free(s);
	s = NULL;
	/* Broken early: the error comes back from a later write or from
	 * finish, never a model; a reset recovers. */
	bad = strdup(body);
	CHECK(bad != NULL);
	if (bad) {
		bad[1000] = ']';
		CHECK_INT(feed_reset(f), 0);
		rc = feed_pieces(f, bad, n, 16384);
		if (!rc)
			rc = feed_finish(f, &s);
		CHECK_INT(rc, -EIO);
		CHECK(s == NULL);
		free(bad);
	}
	CHECK_INT(feed_reset(f), 0);
	CHECK_INT(feed_pieces(f, body, n, 65536), 0);
	CHECK_INT(feed_finish(f, &s), 0);
	CHECK(s && s->nrows == 4000);
	model_sheet_free(s);
out:
	feed_free(f);
	sheet_parser_free(p);
	free(body);
}

static void test_api_sheet_bad_shapes(void)
{
	static const char *const bad[] = {
		"[]",
		"\"sheet\"",
		"42",
		"null",
		"{\"columns\":[]}",                         /* no id */
		"{\"id\":1}",                               /* no columns */
		"{\"id\":\"1\",\"columns\":[]}",
		"{\"id\":1.5,\"columns\":[]}",
		"{\"id\":{},\"columns\":[]}",
		"{\"id\":1,\"columns\":{}}",
		"{\"id\":1,\"columns\":null}",
		"{\"id\":1,\"columns\":[1]}",
		"{\"id\":1,\"columns\":[{\"title\":\"no id\"}]}",
		"{\"id\":1,\"columns\":[{\"id\":\"7\"}]}",
		"{\"id\":1,\"columns\":[{\"id\":7,\"title\":5}]}",
		"{\"id\":1,\"columns\":[{\"id\":7,\"primary\":\"yes\"}]}",
		"{\"id\":1,\"columns\":[],\"columns\":[]}",
		"{\"id\":1,\"columns\":[],\"rows\":\"none\"}",
		"{\"id\":1,\"columns\":[],\"rows\":[[]]}",
		"{\"id\":1,\"columns\":[],\"rows\":[{\"rowNumber\":1}]}",
		"{\"id\":1,\"columns\":[],\"rows\":[{\"id\":1,"
		"\"rowNumber\":\"1\"}]}",
		"{\"id\":1,\"columns\":[],\"rows\":[{\"id\":1,\"cells\":{}}]}",
		"{\"id\":1,\"columns\":[],\"rows\":[{\"id\":1,\"cells\":[1]}]}",
		"{\"id\":1,\"columns\":[],\"rows\":[{\"id\":1,"
		"\"cells\":[{}]}]}",
		"{\"id\":1,\"columns\":[{\"id\":7}],\"rows\":[{\"id\":1,"
		"\"cells\":[{\"columnId\":7,\"value\":{\"a\":1}}]}]}",
		"{\"id\":1,\"columns\":[{\"id\":7}],\"rows\":[{\"id\":1,"
		"\"cells\":[{\"columnId\":7,\"value\":[1]}]}]}",
		"{\"id\":1,\"columns\":[{\"id\":7}],\"rows\":[{\"id\":1,"
		"\"cells\":[{\"columnId\":7,\"displayValue\":5}]}]}",
		"{\"id\":1,\"columns\":[{\"id\":7}],\"rows\":[{\"id\":1,"
		"\"cells\":[{\"columnId\":\"7\",\"value\":1}]}]}",
		"{\"id\":1,\"name\":[],\"columns\":[]}",
		"{\"id\":1,\"version\":\"3\",\"columns\":[]}",
		"{\"id\":1,\"totalRowCount\":1.5,\"columns\":[]}",
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		int rc = 0;
		struct model_sheet *s = parse(bad[i], &rc);

		if (rc != -EIO)
			fprintf(stderr, "  case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, -EIO);
		CHECK(s == NULL);
		model_sheet_free(s);
	}
}

static void test_api_sheet_bad_json(void)
{
	static const char *const bad[] = {
		"",
		"   ",
		"{\"id\":1,\"columns\":[]} {}",
		"{\"id\":1,\"columns\":[]} x",
		"{\"id\":1,\"columns\":[],}",
		"{\"id\":1, /* c */ \"columns\":[]}",
		"{\"id\":1,\"name\":\"\xff\xfe\",\"columns\":[]}",
		"{\"id\":01,\"columns\":[]}",
		"{'id':1,\"columns\":[]}",
		"{\"id\":1,\"columns\":[]",
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		int rc = 0;
		struct model_sheet *s = parse(bad[i], &rc);

		if (rc != -EIO)
			fprintf(stderr, "  case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, -EIO);
		model_sheet_free(s);
	}
}

static void test_api_sheet_truncated(void)
{
	size_t n = strlen(full_sheet), i;
	int failures = 0;

	/* Every proper prefix of a valid document fails at finish. */
	for (i = 0; i < n; i++) {
		struct model_sheet *s = NULL;
		int rc = api_parse_sheet(full_sheet, i, &s);

		if (rc != -EIO || s) {
			if (!failures++)
				fprintf(stderr, "  prefix %zu: %d\n", i, rc);
			model_sheet_free(s);
		}
	}
	CHECK_INT(failures, 0);
}

static void test_api_sheet_deep_nesting(void)
{
	struct sbuf sb = SBUF_INIT(0);
	struct model_sheet *s;
	int i, rc = 0;

	for (i = 0; i < 10000; i++)
		rc |= sbuf_addch(&sb, '[');
	CHECK_INT(rc, 0);
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, -EIO);
	CHECK(s == NULL);

	/* Deep inside a skipped value. */
	sbuf_reset(&sb);
	rc = sbuf_addstr(&sb, "{\"id\":1,\"columns\":[],\"x\":");
	for (i = 0; i < 10000; i++)
		rc |= sbuf_addstr(&sb, "{\"a\":[");
	CHECK_INT(rc, 0);
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, -EIO);
	CHECK(s == NULL);

	/* 60 levels are fine. */
	sbuf_reset(&sb);
	rc = sbuf_addstr(&sb, "{\"id\":1,\"columns\":[],\"x\":");
	for (i = 0; i < 59; i++)
		rc |= sbuf_addch(&sb, '[');
	for (i = 0; i < 59; i++)
		rc |= sbuf_addch(&sb, ']');
	rc |= sbuf_addch(&sb, '}');
	CHECK_INT(rc, 0);
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, 0);
	model_sheet_free(s);
	sbuf_release(&sb);
}

static void test_api_sheet_long_string(void)
{
	const size_t cap = 1u << 20;
	struct sbuf sb = SBUF_INIT(0);
	struct sheet_parser *p;
	struct model_sheet *s;
	size_t i;
	int rc = 0;

	rc |= sbuf_addstr(&sb, "{\"id\":1,\"columns\":[],\"name\":\"");
	for (i = 0; i < cap; i++)
		rc |= sbuf_addch(&sb, 'x');
	rc |= sbuf_addstr(&sb, "\"}");
	CHECK_INT(rc, 0);
	/* 1 MiB is allowed */
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, 0);
	CHECK(s && strlen(s->name) == cap);
	model_sheet_free(s);

	/* one byte more is not, whole or streamed */
	sbuf_reset(&sb);
	rc = sbuf_addstr(&sb, "{\"id\":1,\"columns\":[],\"name\":\"");
	for (i = 0; i < 3 * cap; i++)
		rc |= sbuf_addch(&sb, 'x');
	rc |= sbuf_addstr(&sb, "\"}");
	CHECK_INT(rc, 0);
	s = parse(sb.buf, &rc);
	CHECK_INT(rc, -EIO);
	p = sheet_parser_new();
	for (i = 0, rc = 0; p && i < sb.len && !rc; i += 16384)
		rc = sheet_parser_feed(p, sb.buf + i,
				       sb.len - i < 16384 ? sb.len - i : 16384);
	CHECK_INT(rc, -EIO);
	/* it stopped before yajl buffered the whole token */
	CHECK(i < sb.len);
	sheet_parser_free(p);
	sbuf_release(&sb);
}

/* GET /sheets/123 from the SDK scenario "Assume User - Can Be Set". */
static const char sdk_sheet[] =
	"{\"id\":123,\"name\":\"New Sheet\",\"version\":73,"
	"\"totalRowCount\":6,\"accessLevel\":\"OWNER\","
	"\"effectiveAttachmentOptions\":[\"FILE\",\"DROPBOX\",\"ONEDRIVE\","
	"\"GOOGLE_DRIVE\",\"EGNYTE\",\"BOX_COM\",\"EVERNOTE\"],"
	"\"ganttEnabled\":false,\"dependenciesEnabled\":false,"
	"\"resourceManagementEnabled\":false,\"cellImageUploadEnabled\":true,"
	"\"favorite\":true,\"showParentRowsForFilters\":false,"
	"\"userSettings\":{\"criticalPathEnabled\":false,"
	"\"displaySummaryTasks\":true,"
	"\"appliedSheetFilterId\":3290686083622788},"
	"\"permalink\":\"https://app.smartsheet.com/b/home?lx="
	"d2k4ve3v9X3S1fjXxNDLw\","
	"\"createdAt\":\"2017-11-03T15:27:29Z\","
	"\"modifiedAt\":\"2018-03-02T23:50:35Z\","
	"\"columns\":[{\"id\":234,\"index\":0,\"title\":\"Primary Column\","
	"\"type\":\"TEXT_NUMBER\",\"primary\":true,\"validation\":false,"
	"\"width\":150}],"
	"\"rows\":[{\"id\":345,\"rowNumber\":1,\"expanded\":true,"
	"\"createdAt\":\"2018-02-02T23:32:35Z\","
	"\"modifiedAt\":\"2018-02-09T17:08:41Z\","
	"\"cells\":[{\"columnId\":234,\"value\":\"Some Value\","
	"\"displayValue\":\"Some Value\"}]}]}";

static void test_api_sheet_sdk_scenario(void)
{
	struct model_sheet *s = parse(sdk_sheet, NULL);
	const struct model_cell *c;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->id, 123);
	CHECK_STR(s->name, "New Sheet");
	CHECK_INT(s->version, 73);
	CHECK_INT(s->total_row_count, 6);
	CHECK_STR(s->permalink,
		  "https://app.smartsheet.com/b/home?lx=d2k4ve3v9X3S1fjXxNDLw");
	CHECK_STR(s->modified_at, "2018-03-02T23:50:35Z");
	CHECK_INT(s->ncols, 1);
	CHECK_INT(s->cols[0].id, 234);
	CHECK_STR(s->cols[0].title, "Primary Column");
	CHECK(s->cols[0].primary && !s->cols[0].hidden);
	CHECK_INT(s->nrows, 1);
	CHECK_INT(s->rows[0].id, 345);
	CHECK_INT(s->rows[0].row_number, 1);
	c = cell_at(s, 0, 0);
	CHECK(c && c->kind == MODEL_VAL_STRING);
	CHECK_STR(c ? c->str : NULL, "Some Value");
	CHECK_STR(c ? c->display : NULL, "Some Value");
	model_sheet_free(s);
}

/* ---- list pages, version, user ---- */

/* "List Sheets - No Params" from the SDK scenarios. */
static const char sdk_list[] =
	"{\"pageNumber\":1,\"pageSize\":100,\"totalPages\":1,"
	"\"totalCount\":2,\"data\":[{\"id\":1,"
	"\"name\":\"Copy of Sample Sheet\",\"accessLevel\":\"OWNER\","
	"\"permalink\":\"https://app.smartsheet.com/b/home?lx=*****\","
	"\"createdAt\":\"2017-10-09T01:54:15Z\","
	"\"modifiedAt\":\"2017-10-09T01:54:15Z\"},{\"id\":2,"
	"\"name\":\"Task Tracking Document\","
	"\"accessLevel\":\"EDITOR_SHARE\","
	"\"permalink\":\"https://app.smartsheet.com/b/home?lx=*****\","
	"\"createdAt\":\"2017-09-21T18:36:23Z\","
	"\"modifiedAt\":\"2017-10-17T22:30:57Z\"}]}";

static int list_page(const char *json, struct model_sheet_list *acc,
		     int64_t *page, int64_t *total)
{
	return api_parse_sheet_list_page(json, strlen(json), acc, page, total);
}

static void test_api_list_sdk_scenario(void)
{
	struct model_sheet_list l = {NULL, 0};
	int64_t page = 0, total = 0;

	CHECK_INT(list_page(sdk_list, &l, &page, &total), 0);
	CHECK_INT(page, 1);
	CHECK_INT(total, 1);
	CHECK_INT(l.count, 2);
	if (l.count == 2) {
		CHECK_INT(l.items[0].id, 1);
		CHECK_STR(l.items[0].name, "Copy of Sample Sheet");
		CHECK_STR(l.items[0].access_level, "OWNER");
		CHECK_STR(l.items[0].modified_at, "2017-10-09T01:54:15Z");
		CHECK_INT(l.items[0].version, -1);
		CHECK_INT(l.items[1].id, 2);
		CHECK_STR(l.items[1].name, "Task Tracking Document");
		CHECK_STR(l.items[1].access_level, "EDITOR_SHARE");
	}
	model_sheet_list_release(&l);
	model_sheet_list_release(&l);
}

static void test_api_list_pages_append(void)
{
	struct model_sheet_list l = {NULL, 0};
	int64_t page = 0, total = 0;

	CHECK_INT(list_page("{\"pageNumber\":1,\"totalPages\":2,\"data\":["
			    "{\"id\":9223372036854775807,\"name\":\"a\","
			    "\"version\":5,\"source\":{\"id\":3}}]}",
			    &l, &page, &total),
		  0);
	CHECK_INT(list_page("{\"data\":[{\"id\":9007199254740993},"
			    "{\"name\":null,\"id\":-1}],\"totalPages\":2,"
			    "\"pageNumber\":2}",
			    &l, &page, &total),
		  0);
	CHECK_INT(page, 2);
	CHECK_INT(total, 2);
	CHECK_INT(l.count, 3);
	if (l.count == 3) {
		CHECK(l.items[0].id == INT64_MAX);
		CHECK_INT(l.items[0].version, 5);
		CHECK(l.items[1].id == 9007199254740993LL);
		CHECK_STR(l.items[1].name, "");
		CHECK(l.items[1].modified_at == NULL);
		CHECK(l.items[1].access_level == NULL);
		CHECK_INT(l.items[1].version, -1);
		CHECK_INT(l.items[2].id, -1);
	}
	/* An empty page appends nothing. */
	CHECK_INT(list_page("{\"pageNumber\":3,\"totalPages\":-1,"
			    "\"data\":[]}",
			    &l, &page, &total),
		  0);
	CHECK_INT(l.count, 3);
	CHECK_INT(page, 3);
	CHECK_INT(total, -1);
	model_sheet_list_release(&l);
}

static void test_api_list_bad(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"pageNumber\":1,\"totalPages\":1}",
		"{\"totalPages\":1,\"data\":[]}",
		"{\"pageNumber\":1,\"data\":[]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":{}}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":null}",
		"{\"pageNumber\":\"1\",\"totalPages\":1,\"data\":[]}",
		"{\"pageNumber\":1,\"totalPages\":1.5,\"data\":[]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":[1]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":"
		"[{\"name\":\"x\"}]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":[{\"id\":\"1\"}]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":"
		"[{\"id\":9223372036854775808}]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":"
		"[{\"id\":1,\"name\":5}]}",
		"{\"pageNumber\":1,\"totalPages\":1,\"data\":"
		"[{\"id\":1},{\"id\":2}]",
	};
	struct model_sheet_list l = {NULL, 0};
	int64_t page = 77, total = 88;
	size_t i;

	CHECK_INT(list_page(sdk_list, &l, &page, &total), 0);
	page = 77;
	total = 88;
	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		int rc = list_page(bad[i], &l, &page, &total);

		if (rc != -EIO)
			fprintf(stderr, "  case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, -EIO);
	}
	/* Failures leave the accumulator and the counters alone. */
	CHECK_INT(l.count, 2);
	CHECK_INT(page, 77);
	CHECK_INT(total, 88);
	model_sheet_list_release(&l);
}

static void test_api_parse_version_table(void)
{
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} t[] = {
		{"{\"version\": 73}", 0, 73},
		{"{\"version\":0}", 0, 0},
		{"{\"a\":[1,{}],\"version\":9007199254740992}", 0,
		 9007199254740992LL},
		{"{}", -EIO, 0},
		{"{\"version\":\"73\"}", -EIO, 0},
		{"{\"version\":1.5}", -EIO, 0},
		{"{\"version\":-1}", -EIO, 0},
		{"{\"version\":1e300}", -EIO, 0},
		{"{\"version\":null}", -EIO, 0},
		{"[73]", -EIO, 0},
		{"73", -EIO, 0},
		{"{\"version\":73", -EIO, 0},
		{"", -EIO, 0},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		int64_t v = -7;
		int rc = api_parse_version(t[i].in, strlen(t[i].in), &v);

		if (rc != t[i].rc)
			fprintf(stderr, "  case %s\n", t[i].in);
		CHECK_INT(rc, t[i].rc);
		CHECK_INT(v, rc ? -7 : t[i].want);
	}
	/* The length bounds the text. */
	{
		int64_t v = 0;

		CHECK_INT(api_parse_version("{\"version\":7}xyz", 13, &v), 0);
		CHECK_INT(v, 7);
	}
}

/* "Serialization - UserProfile" from the SDK scenarios. */
static const char sdk_user[] =
	"{\"id\":1,\"email\":\"john.doe@smartsheet.com\","
	"\"firstName\":\"John\","
	"\"lastName\":\"Doe\",\"locale\":\"en_US\",\"timeZone\":\"US/Pacific\","
	"\"account\":{\"name\":\"john.doe@smartsheet.com\",\"id\":2},"
	"\"admin\":true,\"licensedSheetCreator\":true,\"groupAdmin\":true,"
	"\"resourceViewer\":true,\"alternateEmails\":[],\"sheetCount\":66,"
	"\"lastLogin\":\"2018-03-16T16:06:52Z\",\"title\":\"\","
	"\"department\":\"\",\"company\":\"\",\"workPhone\":\"\","
	"\"mobilePhone\":\"\",\"role\":\"\"}";

static void test_api_parse_user_table(void)
{
	static const struct {
		const char *in;
		int rc;
		int64_t id;
		const char *email;
		const char *name;
	} t[] = {
		{sdk_user, 0, 1, "john.doe@smartsheet.com", "John Doe"},
		{"{\"id\":9223372036854775807,\"firstName\":\"Ann\"}", 0,
		 INT64_MAX, NULL, "Ann"},
		{"{\"lastName\":\"Lee\",\"id\":2,\"email\":\"l@x\"}", 0, 2,
		 "l@x", "Lee"},
		{"{\"id\":3,\"firstName\":\"\",\"lastName\":\"\"}", 0, 3, NULL,
		 NULL},
		{"{\"id\":4,\"email\":null,\"x\":{\"id\":\"s\"}}", 0, 4, NULL,
		 NULL},
		{"{\"email\":\"a@x\"}", -EIO, 0, NULL, NULL},
		{"{\"id\":\"1\"}", -EIO, 0, NULL, NULL},
		{"{\"id\":1,\"email\":5}", -EIO, 0, NULL, NULL},
		{"{\"id\":1,\"firstName\":{}}", -EIO, 0, NULL, NULL},
		{"{\"id\":9223372036854775808}", -EIO, 0, NULL, NULL},
		{"[]", -EIO, 0, NULL, NULL},
		{"{\"id\":1", -EIO, 0, NULL, NULL},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		struct model_user u = {-9, NULL, NULL};
		int rc = api_parse_user(t[i].in, strlen(t[i].in), &u);

		if (rc != t[i].rc)
			fprintf(stderr, "  case %zu: %s\n", i, t[i].in);
		CHECK_INT(rc, t[i].rc);
		if (rc) {
			CHECK_INT(u.id, -9);
			CHECK(u.email == NULL && u.name == NULL);
			continue;
		}
		CHECK(u.id == t[i].id);
		if (t[i].email)
			CHECK_STR(u.email, t[i].email);
		else
			CHECK(u.email == NULL);
		if (t[i].name)
			CHECK_STR(u.name, t[i].name);
		else
			CHECK(u.name == NULL);
		model_user_release(&u);
		model_user_release(&u);
	}
}

/* ---- the shared skeleton (api/jsonwalk.h) ---- */

/*
 * A handler that writes down what it sees: "k<frame>:<key>" for a key
 * (whose number is its length), "v<frame>/<key>:<type>=<text>" for a value,
 * "e<frame>" for an end. The document is frame 1; it enters objects and
 * arrays as frame depth + 1 while depth < enter_max, and fails with
 * -ENOMEM at the string fail_at.
 */
struct rec {
	struct jsonwalk *w;
	struct sbuf sb;
	int depth, enter_max;
	const char *fail_at;
};

static int rec_key(void *ctx, int frame, const char *k, size_t len)
{
	struct rec *r = ctx;

	CHECK_INT(sbuf_addf(&r->sb, "k%d:%.*s ", frame, (int)len, k), 0);
	return (int)len;
}

static int rec_value(void *ctx, int frame, int key,
		     const struct jsonwalk_value *v)
{
	struct rec *r = ctx;

	CHECK_INT(sbuf_addf(&r->sb, "v%d/%d:%d=%.*s ", frame, key,
			    (int)v->type, (int)v->len, v->s ? v->s : ""),
		  0);
	if (r->fail_at && v->type == JSONWALK_TYPE_STRING &&
	    strlen(r->fail_at) == v->len &&
	    memcmp(r->fail_at, v->s, v->len) == 0)
		return jsonwalk_fail(r->w, -ENOMEM, "asked to fail");
	if ((v->type == JSONWALK_TYPE_MAP || v->type == JSONWALK_TYPE_ARRAY) &&
	    r->depth < r->enter_max) {
		r->depth++;
		return jsonwalk_enter(r->w, r->depth);
	}
	return 1;
}

static int rec_end(void *ctx, int frame)
{
	struct rec *r = ctx;

	CHECK_INT(frame, r->depth);
	r->depth--;
	CHECK_INT(sbuf_addf(&r->sb, "e%d ", frame), 0);
	return 1;
}

static const struct jsonwalk_ops rec_ops = {
	.key = rec_key,
	.value = rec_value,
	.end = rec_end,
	.root = 1,
	.name = "test",
	.max_depth = 8,
	.max_token_bytes = 64,
};

static const struct jsonwalk_ops rec_deep_ops = {
	.key = rec_key,
	.value = rec_value,
	.end = rec_end,
	.root = 1,
	.name = "test",
	.max_depth = 64,
};

static void rec_init(struct rec *r, const struct jsonwalk_ops *ops,
		     int enter_max)
{
	memset(r, 0, sizeof(*r));
	sbuf_init(&r->sb, 0);
	r->depth = 1; /* the document */
	r->enter_max = enter_max;
	r->w = jsonwalk_new(ops, r);
	CHECK(r->w != NULL);
}

static void rec_release(struct rec *r)
{
	jsonwalk_free(r->w);
	sbuf_release(&r->sb);
}

/* Walk json fed in pieces of step bytes; 0 or the walk's error. */
static int rec_walk(struct rec *r, const char *json, size_t step)
{
	size_t n = strlen(json), i, k;
	int rc = 0;

	for (i = 0; i < n && !rc; i += k) {
		k = n - i < step ? n - i : step;
		rc = jsonwalk_feed(r->w, json + i, k);
	}
	return rc ? rc : jsonwalk_finish(r->w);
}

static const char walk_doc[] =
	"{\"a\":1,\"bb\":[true,null,\"x\"],\"ccc\":{\"d\":-2.5e3},"
	"\"skip\":{\"e\":[1,{\"f\":2}]},\"longer_key_name\":\"\\u00e9\"}";

static void test_api_jsonwalk_transcript(void)
{
	/* Types: 0 null, 1 bool, 2 number, 3 string, 4 object, 5 array.
	 * Entered two deep: the array under "e" would be a third, so it is
	 * skipped whole (no "f"). Keys in arrays are 0. */
	static const char want[] =
		"k1:a v1/1:2=1 k1:bb v1/2:5= v2/0:1= v2/0:0= "
		"v2/0:3=x e2 k1:ccc v1/3:4= k2:d v2/1:2=-2.5e3 e2 "
		"k1:skip v1/4:4= k2:e v2/1:5= e2 "
		"k1:longer_key_name v1/15:3=\xc3\xa9 e1 ";
	struct rec r;

	rec_init(&r, &rec_ops, 2);
	CHECK_INT(rec_walk(&r, walk_doc, sizeof(walk_doc)), 0);
	CHECK_STR(r.sb.buf, want);
	CHECK_INT(r.depth, 0);
	rec_release(&r);
}

static void test_api_jsonwalk_pieces(void)
{
	struct rec whole, r;
	size_t step;

	rec_init(&whole, &rec_ops, 3);
	CHECK_INT(rec_walk(&whole, walk_doc, sizeof(walk_doc)), 0);
	/* Keys, strings and numbers split anywhere come out whole. */
	for (step = 1; step < sizeof(walk_doc); step++) {
		rec_init(&r, &rec_ops, 3);
		CHECK_INT(rec_walk(&r, walk_doc, step), 0);
		if (strcmp(r.sb.buf, whole.sb.buf) != 0)
			fprintf(stderr, "  pieces of %zu\n", step);
		CHECK_STR(r.sb.buf, whole.sb.buf);
		rec_release(&r);
	}
	rec_release(&whole);
}

/* n containers: the document's object, then n - 1 arrays around a 1. */
static void nested(struct sbuf *sb, int n)
{
	int i, rc = 0;

	sbuf_reset(sb);
	rc |= sbuf_addstr(sb, "{\"a\":");
	for (i = 1; i < n; i++)
		rc |= sbuf_addch(sb, '[');
	rc |= sbuf_addch(sb, '1');
	for (i = 1; i < n; i++)
		rc |= sbuf_addch(sb, ']');
	rc |= sbuf_addch(sb, '}');
	CHECK_INT(rc, 0);
}

static void test_api_jsonwalk_depth(void)
{
	struct sbuf sb = SBUF_INIT(0);
	struct rec r;
	int enter;

	/* max_depth 8: eight containers open at once, entered or skipped. */
	for (enter = 0; enter <= 8; enter += 4) {
		nested(&sb, 8);
		rec_init(&r, &rec_ops, enter);
		CHECK_INT(rec_walk(&r, sb.buf, 3), 0);
		rec_release(&r);
		nested(&sb, 9);
		rec_init(&r, &rec_ops, enter);
		CHECK_INT(rec_walk(&r, sb.buf, 3), -EIO);
		/* sticky */
		CHECK_INT(jsonwalk_feed(r.w, "1", 1), -EIO);
		CHECK_INT(jsonwalk_finish(r.w), -EIO);
		CHECK_INT(jsonwalk_error(r.w), -EIO);
		rec_release(&r);
	}
	/* Entering is bounded apart from the depth: JSONWALK_MAX_FRAMES. */
	nested(&sb, JSONWALK_MAX_FRAMES);
	rec_init(&r, &rec_deep_ops, 64);
	CHECK_INT(rec_walk(&r, sb.buf, 5), 0);
	rec_release(&r);
	nested(&sb, JSONWALK_MAX_FRAMES + 1);
	rec_init(&r, &rec_deep_ops, 64);
	CHECK_INT(rec_walk(&r, sb.buf, 5), -EIO);
	rec_release(&r);
	/* Skipped, 64 deep is fine and 65 is not. */
	nested(&sb, 64);
	rec_init(&r, &rec_deep_ops, 1);
	CHECK_INT(rec_walk(&r, sb.buf, 7), 0);
	rec_release(&r);
	nested(&sb, 65);
	rec_init(&r, &rec_deep_ops, 1);
	CHECK_INT(rec_walk(&r, sb.buf, 7), -EIO);
	rec_release(&r);
	sbuf_release(&sb);
}

static void test_api_jsonwalk_malformed(void)
{
	static const char *const bad[] = {
		"", "   ", "{", "{\"a\":[1", "{\"a\":[1,]}", "{\"a\":}",
		"{\"a\" 1}", "{} {}", "{\"a\":01}", "{\"a\":\"\xff\"}",
		"{\"a\":tru}", "{'a':1}", "{\"a\":1e}", "}",
		/* the document is an object */
		"42", "\"s\"", "null", "[]", "[{}]",
	};
	struct rec r;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		rec_init(&r, &rec_ops, 8);
		if (rec_walk(&r, bad[i], 1) != -EIO)
			fprintf(stderr, "  case %zu: %s\n", i, bad[i]);
		CHECK_INT(jsonwalk_error(r.w), -EIO);
		CHECK_INT(jsonwalk_finish(r.w), -EIO);
		rec_release(&r);
	}
	/* The smallest document. */
	rec_init(&r, &rec_ops, 8);
	CHECK_INT(rec_walk(&r, " {} ", 1), 0);
	CHECK_STR(r.sb.buf, "e1 ");
	rec_release(&r);
}

static void test_api_jsonwalk_handler_error(void)
{
	struct rec r;

	rec_init(&r, &rec_ops, 8);
	r.fail_at = "boom";
	CHECK_INT(rec_walk(&r, "{\"a\":[\"ok\",\"boom\",\"later\"]}", 4),
		  -ENOMEM);
	CHECK(strstr(r.sb.buf, "later") == NULL);
	CHECK_INT(jsonwalk_feed(r.w, "]", 1), -ENOMEM);
	CHECK_INT(jsonwalk_finish(r.w), -ENOMEM);
	/* The first error wins. */
	CHECK_INT(jsonwalk_fail(r.w, -EIO, "second"), 0);
	CHECK_INT(jsonwalk_error(r.w), -ENOMEM);
	/* reset starts over with no error and an empty path */
	CHECK_INT(jsonwalk_reset(r.w), 0);
	r.depth = 1;
	sbuf_reset(&r.sb);
	CHECK_INT(rec_walk(&r, "{\"x\":[\"y\"]}", 2), 0);
	CHECK_STR(r.sb.buf, "k1:x v1/1:5= v2/0:3=y e2 e1 ");
	rec_release(&r);
}

static void test_api_jsonwalk_token_bound(void)
{
	struct sbuf sb = SBUF_INIT(0);
	struct rec r;
	int i, rc = 0;

	rc |= sbuf_addstr(&sb, "{\"a\":\"");
	for (i = 0; i < 100; i++)
		rc |= sbuf_addch(&sb, 'x');
	rc |= sbuf_addstr(&sb, "\"}");
	CHECK_INT(rc, 0);
	/* In small pieces no callback runs for more than 64 bytes. */
	rec_init(&r, &rec_ops, 8);
	CHECK_INT(rec_walk(&r, sb.buf, 10), -EIO);
	CHECK(strstr(r.sb.buf, "xxx") == NULL);
	rec_release(&r);
	/* Whole, the string reaches the handler. */
	rec_init(&r, &rec_ops, 8);
	CHECK_INT(rec_walk(&r, sb.buf, sb.len), 0);
	rec_release(&r);
	/* No bound at all: */
	rec_init(&r, &rec_deep_ops, 8);
	CHECK_INT(rec_walk(&r, sb.buf, 10), 0);
	rec_release(&r);
	sbuf_release(&sb);
}

static void test_api_jsonwalk_double(void)
{
	static const char *const t[] = {
		"0", "-0", "0.1", "-2.5e3", "1e22", "1e23", "9007199254740993",
		"123456789012345678901234567890", "4.9e-324",
		"1.7976931348623157e308",
		("0.00000000000000000000000000000000000000000000000000000000000"
		 "000000000001"), /* past the 64-byte buffer */
	};
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	size_t i;
	double d;

	CHECK(c != (locale_t)0);
	if (!c)
		return;
	/* Exactly what strtod says, fast path or not. */
	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		d = -1;
		CHECK_INT(jsonwalk_parse_double(t[i], strlen(t[i]), c, &d), 0);
		if (d != strtod_l(t[i], NULL, c))
			fprintf(stderr, "  case %s\n", t[i]);
		CHECK(d == strtod_l(t[i], NULL, c));
	}
	d = 5;
	CHECK_INT(jsonwalk_parse_double("1e400", 5, c, &d), -ERANGE);
	CHECK_INT(jsonwalk_parse_double("-1e400", 6, c, &d), -ERANGE);
	CHECK(d == 5);
	/* Only len bytes count. */
	CHECK_INT(jsonwalk_parse_double("125", 2, c, &d), 0);
	CHECK(d == 12);
	freelocale(c);
}

static void test_api_jsonwalk_text(void)
{
	char d[32];
	size_t n;

	n = jsonwalk_text_len("abc", 3);
	CHECK_INT(n, 3);
	jsonwalk_text_copy(d, "abc", 3, n);
	CHECK_STR(d, "abc");
	/* \u0000 and a lone surrogate become U+FFFD; a pair stays. */
	n = jsonwalk_text_len("a\0b\0", 4);
	CHECK_INT(n, 8);
	jsonwalk_text_copy(d, "a\0b\0", 4, n);
	CHECK_STR(d, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	n = jsonwalk_text_len("x\xed\xa0\x80y", 5);
	CHECK_INT(n, 5);
	jsonwalk_text_copy(d, "x\xed\xa0\x80y", 5, n);
	CHECK_STR(d, "x\xef\xbf\xbdy");
	memcpy(d, "\xf0\x9f\x98\x80\xed\x9f\xbf", 8);
	jsonwalk_text_fix(d, 7);
	CHECK_STR(d, "\xf0\x9f\x98\x80\xed\x9f\xbf");
	CHECK_STR(jsonwalk_type_name(JSONWALK_TYPE_MAP), "an object");
}

int main(void)
{
	/* Failures are expected here; their debug lines would be noise. */
	log_set_level(LOG_ERR);
	T(test_api_parse_int64_table);
	T(test_api_parse_int64_length);
	T(test_api_parse_int64_digits);
	T(test_api_sheet_fields);
	T(test_api_sheet_column_types);
	T(test_api_sheet_write_fields);
	T(test_api_sheet_cells);
	T(test_api_sheet_multi);
	T(test_api_sheet_multi_shapes);
	T(test_api_sheet_multi_only);
	T(test_api_sheet_numbers);
	T(test_api_sheet_number_overflow);
	T(test_api_sheet_ids_exact);
	T(test_api_sheet_defaults);
	T(test_api_sheet_duplicates_and_order);
	T(test_api_sheet_many_cells_unsorted);
	T(test_api_sheet_rows_before_columns);
	T(test_api_sheet_strings);
	T(test_api_sheet_value_display_shared);
	T(test_api_sheet_bytewise);
	T(test_api_sheet_chunks);
	T(test_api_sheet_reset);
	T(test_api_sheet_bad_shapes);
	T(test_api_sheet_bad_json);
	T(test_api_sheet_truncated);
	T(test_api_sheet_deep_nesting);
	T(test_api_sheet_long_string);
	T(test_api_sheet_sdk_scenario);
	T(test_api_list_sdk_scenario);
	T(test_api_list_pages_append);
	T(test_api_list_bad);
	T(test_api_feed_same_model_as_direct);
	T(test_api_feed_reset_and_errors);
	T(test_api_parse_version_table);
	T(test_api_parse_user_table);
	T(test_api_jsonwalk_transcript);
	T(test_api_jsonwalk_pieces);
	T(test_api_jsonwalk_depth);
	T(test_api_jsonwalk_malformed);
	T(test_api_jsonwalk_handler_error);
	T(test_api_jsonwalk_token_bound);
	T(test_api_jsonwalk_double);
	T(test_api_jsonwalk_text);
	return t_run();
}
