/*
 * Text -> values (edit/values.c): SPEC §8 "Text to values" as tables, the
 * JSON value forms, the text a value shows and the request body cells.
 */
#include "edit/values.h"
#include "edit/cellout.h"

#include <errno.h>
#include <math.h>

#include "tests/unit/testlib.h"

#include "util/arena.h"

/* kind, and the value as the body writes it ("" when refused). */
struct row {
	enum model_col_type type;
	const char *in;
	int rc;
	const char *body;
};

static void run(const struct row *t, size_t n, bool json)
{
	static const char *opts[] = {"Dog, Hot", "Cat", "Dog", "Hot"};
	struct model_column col = {.id = 5, .title = "Col"};
	struct arena *a = arena_new();
	struct sbuf sb = SBUF_INIT(0);
	char err[EDIT_ERR_MAX];
	size_t i;

	col.options = opts;
	col.noptions = 4;
	for (i = 0; i < n; i++) {
		struct edit_value v;
		int rc;

		col.type = t[i].type;
		err[0] = '\0';
		rc = json ? edit_value_from_json(&col, t[i].in, 3, a, &v, err)
			  : edit_value_from_text(&col, t[i].in, 3, a, &v, err);
		if (rc != t[i].rc)
			fprintf(stderr, "case %zu [%s]: rc %d (%s)\n", i,
				t[i].in, rc, err);
		CHECK_INT(rc, t[i].rc);
		if (rc) {
			CHECK(strstr(err, "line 3, column \"Col\": ") == err);
			continue;
		}
		sbuf_reset(&sb);
		CHECK_INT(edit_value_body(5, &v, &sb), 0);
		if (strcmp(sb.buf, t[i].body) != 0)
			fprintf(stderr, "case %zu [%s]\n", i, t[i].in);
		CHECK_STR(sb.buf, t[i].body);
	}
	sbuf_release(&sb);
	arena_free(a);
}

#define V(x) "{\"columnId\":5,\"value\":" x "}"
#define OV(x) "{\"columnId\":5,\"objectValue\":" x "}"

static void test_edit_values_text(void)
{
	static const struct row t[] = {
	    {MODEL_COL_TEXT_NUMBER, "", 0, V("\"\"")},
	    {MODEL_COL_TEXT_NUMBER, "7", 0, V("7")},
	    {MODEL_COL_TEXT_NUMBER, "-2.5", 0, V("-2.5")},
	    {MODEL_COL_TEXT_NUMBER, "0.1", 0, V("0.1")},
	    {MODEL_COL_TEXT_NUMBER, "1e-7", 0, V("1e-7")},
	    {MODEL_COL_TEXT_NUMBER, "9007199254740992", 0,
	     V("9007199254740992")},
	    {MODEL_COL_TEXT_NUMBER, "1e+21", 0, V("\"1e+21\"")},
	    {MODEL_COL_TEXT_NUMBER, "-9007199254740994", 0,
	     V("\"-9007199254740994\"")},
	    {MODEL_COL_TEXT_NUMBER, "007", 0, V("\"007\"")},
	    {MODEL_COL_TEXT_NUMBER, "+5", 0, V("\"+5\"")},
	    {MODEL_COL_TEXT_NUMBER, ".5", 0, V("\".5\"")},
	    {MODEL_COL_TEXT_NUMBER, "1E5", 0, V("\"1E5\"")},
	    {MODEL_COL_TEXT_NUMBER, "12abc", 0, V("\"12abc\"")},
	    {MODEL_COL_TEXT_NUMBER, "1.0", 0, V("\"1.0\"")},
	    {MODEL_COL_TEXT_NUMBER, "-0", 0, V("\"-0\"")},
	    {MODEL_COL_TEXT_NUMBER, "NaN", 0, V("\"NaN\"")},
	    {MODEL_COL_TEXT_NUMBER, "Infinity", 0, V("\"Infinity\"")},
	    {MODEL_COL_TEXT_NUMBER, "0x10", 0, V("\"0x10\"")},
	    {MODEL_COL_TEXT_NUMBER, " 7", 0, V("\" 7\"")},
	    {MODEL_COL_TEXT_NUMBER, "say \"hi\"\n", 0,
	     V("\"say \\\"hi\\\"\\n\"")},
	    {MODEL_COL_TEXT_NUMBER, "\xff", -EINVAL, ""},
	    {MODEL_COL_CHECKBOX, "true", 0, V("true")},
	    {MODEL_COL_CHECKBOX, "false", 0, V("false")},
	    {MODEL_COL_CHECKBOX, "", 0, V("\"\"")},
	    {MODEL_COL_CHECKBOX, "TRUE", -EINVAL, ""},
	    {MODEL_COL_CHECKBOX, "1", -EINVAL, ""},
	    {MODEL_COL_DATE, "2024-02-29", 0, V("\"2024-02-29\"")},
	    {MODEL_COL_DATE, "2023-02-29", -EINVAL, ""},
	    {MODEL_COL_DATE, "2024-13-01", -EINVAL, ""},
	    {MODEL_COL_DATE, "05/05/24", -EINVAL, ""},
	    {MODEL_COL_DATE, "2024-05-05T10:00:00", -EINVAL, ""},
	    {MODEL_COL_DATETIME, "2024-05-05T10:00:00Z", 0,
	     V("\"2024-05-05T10:00:00Z\"")},
	    {MODEL_COL_ABSTRACT_DATETIME, "2017-11-07T13:00:00", 0,
	     V("\"2017-11-07T13:00:00\"")},
	    {MODEL_COL_ABSTRACT_DATETIME, "2017-11-07", 0, V("\"2017-11-07\"")},
	    {MODEL_COL_ABSTRACT_DATETIME, "2017-11-07T25:00:00", -EINVAL, ""},
	    {MODEL_COL_PICKLIST, "7", 0, V("\"7\"")},
	    {MODEL_COL_CONTACT_LIST, "Jo Doe", 0, V("\"Jo Doe\"")},
	    {MODEL_COL_DURATION, "4d 6h", 0, V("\"4d 6h\"")},
	    {MODEL_COL_PREDECESSOR, "2FS +1d", 0, V("\"2FS +1d\"")},
	    {MODEL_COL_MULTI_PICKLIST, "Cat, Dog", 0,
	     OV("{\"objectType\":\"MULTI_PICKLIST\",\"values\":[\"Cat\","
		"\"Dog\"]}")},
	    {MODEL_COL_MULTI_PICKLIST, "Dog, Hot", 0,
	     OV("{\"objectType\":\"MULTI_PICKLIST\",\"values\":[\"Dog, "
		"Hot\"]}")},
	    {MODEL_COL_MULTI_PICKLIST, "Cat, Dog, Hot", 0,
	     OV("{\"objectType\":\"MULTI_PICKLIST\",\"values\":[\"Cat\","
		"\"Dog, Hot\"]}")},
	    {MODEL_COL_MULTI_PICKLIST, "Cat,Dog", 0,
	     OV("{\"objectType\":\"MULTI_PICKLIST\",\"values\":[\"Cat,"
		"Dog\"]}")},
	    {MODEL_COL_MULTI_CONTACT_LIST, "a@x.io, b@y.io", 0,
	     OV("{\"objectType\":\"MULTI_CONTACT\",\"values\":[{"
		"\"email\":\"a@x.io\",\"objectType\":\"CONTACT\"},{"
		"\"email\":\"b@y.io\",\"objectType\":\"CONTACT\"}]}")},
	    {MODEL_COL_MULTI_CONTACT_LIST, "a@x.io, Bo", -EINVAL, ""},
	};

	run(t, sizeof(t) / sizeof(t[0]), false);
}

static void test_edit_values_json(void)
{
	static const struct row t[] = {
	    {MODEL_COL_TEXT_NUMBER, "", 0, V("\"\"")},
	    {MODEL_COL_TEXT_NUMBER, "null", 0, V("\"\"")},
	    {MODEL_COL_TEXT_NUMBER, "7", 0, V("7")},
	    {MODEL_COL_TEXT_NUMBER, "\"7\"", 0, V("\"7\"")},
	    {MODEL_COL_TEXT_NUMBER, "1e300", 0, V("\"1e+300\"")},
	    {MODEL_COL_TEXT_NUMBER, "true", -EINVAL, ""},
	    {MODEL_COL_TEXT_NUMBER, "[\"a\"]", -EINVAL, ""},
	    {MODEL_COL_CHECKBOX, "true", 0, V("true")},
	    {MODEL_COL_CHECKBOX, "\"true\"", -EINVAL, ""},
	    {MODEL_COL_CHECKBOX, "1", -EINVAL, ""},
	    {MODEL_COL_DURATION, "5", 0, V("\"5\"")},
	    {MODEL_COL_DATE, "\"2024-01-31\"", 0, V("\"2024-01-31\"")},
	    {MODEL_COL_DATE, "20240131", -EINVAL, ""},
	    {MODEL_COL_MULTI_PICKLIST, "[\"Dog, Hot\",\"Cat\"]", 0,
	     OV("{\"objectType\":\"MULTI_PICKLIST\",\"values\":[\"Dog, "
		"Hot\",\"Cat\"]}")},
	    {MODEL_COL_MULTI_PICKLIST, "[]", 0, V("\"\"")},
	    {MODEL_COL_MULTI_PICKLIST, "[1]", -EINVAL, ""},
	    {MODEL_COL_MULTI_CONTACT_LIST,
	     "[{\"name\":\"Jo\",\"email\":\"jo@x.io\"},{\"email\":\"b@y.io\"}]",
	     0,
	     OV("{\"objectType\":\"MULTI_CONTACT\",\"values\":[{"
		"\"name\":\"Jo\",\"email\":\"jo@x.io\",\"objectType\":"
		"\"CONTACT\"},{\"email\":\"b@y.io\",\"objectType\":"
		"\"CONTACT\"}]}")},
	    {MODEL_COL_MULTI_CONTACT_LIST, "[{\"name\":\"Jo\"}]", -EINVAL, ""},
	};

	run(t, sizeof(t) / sizeof(t[0]), true);
}

static void test_edit_values_show(void)
{
	static const char *items[] = {"a@x.io", "b,\"c"};
	static const char *names[] = {"A", NULL};
	struct edit_value v = {.kind = EDIT_VAL_NUMBER, .num = 1e21};
	struct sbuf sb = SBUF_INIT(0);

	CHECK_INT(edit_value_show(&v, EDIT_FMT_CSV, &sb), 0);
	CHECK_STR(sb.buf, "1e+21");
	v.num = 9.3e18; /* JSON writes 2^63 and more with an exponent */
	sbuf_reset(&sb);
	CHECK_INT(edit_value_show(&v, EDIT_FMT_JSON, &sb), 0);
	CHECK_STR(sb.buf, "9.3e+18");
	v = (struct edit_value){.kind = EDIT_VAL_CONTACTS,
				.count = 2,
				.items = items,
				.names = names};
	sbuf_reset(&sb);
	CHECK_INT(edit_value_show(&v, EDIT_FMT_CSV, &sb), 0);
	CHECK_STR(sb.buf, "a@x.io, b,\"c");
	sbuf_reset(&sb);
	CHECK_INT(edit_value_show(&v, EDIT_FMT_JSON, &sb), 0);
	CHECK_STR(sb.buf, "[{\"name\":\"A\",\"email\":\"a@x.io\"},{\"email\":"
			  "\"b,\\\"c\"}]");
	sbuf_release(&sb);
}

static void test_edit_values_long_text(void)
{
	struct model_column col = {
	    .id = 5, .title = "T", .type = MODEL_COL_TEXT_NUMBER};
	struct arena *a = arena_new();
	char *big = malloc(4 * 4001 + 1);
	struct edit_value v;
	char err[EDIT_ERR_MAX];
	size_t i;

	/* 4000 characters of 4 bytes each are fine; 4001 are not. */
	for (i = 0; i < 4001; i++)
		memcpy(big + 4 * i, "\xF0\x9F\x98\x80", 4);
	big[4 * 4000] = '\0';
	CHECK_INT(edit_value_from_text(&col, big, 1, a, &v, err), 0);
	memcpy(big + 4 * 4000, "\xF0\x9F\x98\x80", 4);
	big[4 * 4001] = '\0';
	CHECK_INT(edit_value_from_text(&col, big, 1, a, &v, err), -EINVAL);
	CHECK(strstr(err, "4001 characters"));
	free(big);
	arena_free(a);
}

int main(void)
{
	T(test_edit_values_text);
	T(test_edit_values_json);
	T(test_edit_values_show);
	T(test_edit_values_long_text);
	return t_run();
}
