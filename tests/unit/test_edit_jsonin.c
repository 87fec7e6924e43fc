/*
 * A sheet JSON file -> rows (edit/jsonin.c): what render/json.c writes,
 * compact and pretty-printed (jq), keys sorted (jq -S), duplicate titles,
 * missing and extra columns, unknown keys; fed whole and a byte at a time.
 */
#include "edit/jsonin.h"

#include <errno.h>

#include "tests/unit/edit_check.h"
#include "tests/unit/testlib.h"

#include "render/json.h"

static const char *const titles[] = {"Task", "Done", "Task", "Who"};
static const enum model_col_type types[] = {
    MODEL_COL_TEXT_NUMBER, MODEL_COL_CHECKBOX, MODEL_COL_TEXT_NUMBER,
    MODEL_COL_MULTI_CONTACT_LIST};

static struct model_sheet *sheet(void)
{
	return t_sheet_new(titles, types, 4);
}

#define HEAD                                                                   \
	"{\"id\":7,\"name\":\"S\",\"version\":1,\"columns\":[{\"id\":1000,"    \
	"\"title\":\"Task\",\"type\":\"TEXT_NUMBER\",\"primary\":true},"       \
	"{\"id\":1001,\"title\":\"Done\",\"type\":\"CHECKBOX\"},{\"id\":"      \
	"1002,\"title\":\"Task\",\"type\":\"TEXT_NUMBER\",\"hidden\":true},"   \
	"{\"id\":1003,\"title\":\"Who\"}],\"rows\":["

static void test_edit_jsonin_cases(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {HEAD "\n{\"id\":21,\"rowNumber\":1,\"parentId\":null,\"cells\":"
		  "{\"Task\":\"a\\u0041\",\"Done\":true,\"Task (1002)\":7.50,"
		  "\"Who\":[{\"email\":\"e@x.io\",\"name\":\"E\"}]}},\n"
		  "{\"cells\":{\"Task\":1e2}}\n]}\n",
	     "21@2 \"aA\"|true|7.5|[{\"name\":\"E\",\"email\":\"e@x.io\"}];"
	     "0@3 100|||;"},
	    /* jq -S: keys sorted, pretty-printed. */
	    {"{\n  \"columns\": [\n    {\"title\": \"Task\"},\n    {\"title\":"
	     " \"Done\"},\n    {\"title\": \"Task\"},\n    {\"title\": "
	     "\"Who\"}\n  ],\n  \"rows\": [\n    {\n      \"cells\": {\n"
	     "        \"Done\": false\n      },\n      \"id\": 5\n    },\n"
	     "    {\n      \"cells\": {\"Task\": null}\n    }\n  ]\n}\n",
	     "5@9 |false||;0@15 |||;"},
	    {HEAD "]}", ""},
	    {HEAD "{\"id\":1,\"cells\":{\"Nope\":1}}]}",
	     "ERR line 1: no column is keyed \"Nope\""},
	    {HEAD "{\"id\":1,\"cells\":{\"Task\":1,\"Task\":2}}]}",
	     "ERR line 1: the cell \"Task\" is there twice"},
	    {HEAD "\n{\"id\":1,\"extra\":1}]}",
	     "ERR line 2: unknown key \"extra\""},
	    {HEAD "{\"id\":\"1\"}]}", "ERR line 1: a row's \"id\" is a number"},
	    {HEAD "{\"id\":1.5}]}",
	     "ERR line 1: a row's \"id\" must be a row id (a positive whole "
	     "number)"},
	    {HEAD "{\"cells\":{\"Who\":[\"a\",{\"email\":\"b\"}]}}]}",
	     "ERR line 1: an object where a sheet file has none"},
	    {HEAD "{\"cells\":{\"Who\":[{\"email\":\"b\"},\"a\"]}}]}",
	     "ERR line 1: an array in a cell holds strings or contacts, "
	     "nothing else"},
	    {"{\"columns\":[{\"title\":\"Task\"},{\"title\":\"Done\"}],"
	     "\"rows\":[]}",
	     "ERR line 1: the columns must be the sheet's, in this order: 2 "
	     "of its 4 are there"},
	    {"{\"columns\":[{\"title\":\"Task\"},{\"title\":\"X\"}],"
	     "\"rows\":[]}",
	     "ERR line 1: the columns must be the sheet's, in this order: "
	     "column 2 is \"X\", not the sheet's"},
	    {"{\"rows\":[]}",
	     "ERR line 1: a sheet file has \"columns\" and \"rows\""},
	    {HEAD "],\"more\":1}", "ERR line 1: unknown key \"more\""},
	    {"",
	     "ERR line 1: not a whole JSON text: parse error: premature EOF"},
	    {"[1]", "ERR line 1: an array where a sheet file has none"},
	    {HEAD "{\"id\":1}", "ERR line 1: not a whole JSON text: "
				"parse error: premature EOF"},
	};
	struct model_sheet *s = sheet();
	char got[512], got1[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		t_parse_dump(s, t[i].in, true, EDIT_CSV_EDIT, 1 << 20, true,
			     got, sizeof(got));
		t_parse_dump(s, t[i].in, true, EDIT_CSV_EDIT, 1, true, got1,
			     sizeof(got1));
		if (strncmp(got, t[i].want, strlen(t[i].want)) != 0 ||
		    (strncmp(t[i].want, "ERR", 3) && strcmp(got, t[i].want)))
			fprintf(stderr, "case %zu\n got: %s\nwant: %s\n", i,
				got, t[i].want);
		CHECK(strncmp(got, t[i].want, strlen(t[i].want)) == 0);
		CHECK_STR(got1, got);
	}
	model_sheet_free(s);
}

/* render_json's own output reads back with every cell byte-equal. */
static void test_edit_jsonin_round_trip(void)
{
	static const char *const r1[] = {"x \"q\"\n", "true", "1e-7", NULL};
	static const char *const r2[] = {"", "false", "12345678901234567890",
					 NULL};
	struct model_sheet *s = sheet();
	struct sbuf out = SBUF_INIT(0), blob = SBUF_INIT(0);
	struct edit_doc doc = {0};
	char err[EDIT_ERR_MAX];
	size_t i;

	t_sheet_row(s, 31, 0, r1);
	t_sheet_row(s, 32, 31, r2);
	CHECK_INT(render_json(s, &out), 0);
	CHECK_INT(t_parse(s, out.buf, out.len, true, &doc, err), 0);
	CHECK_INT(doc.nrows, 2);
	for (i = 0; i < doc.nrows && i < 2; i++) {
		t_base_blob(s, i, EDIT_FMT_JSON, false, &blob);
		CHECK(blob.len == doc.rows[i].len &&
		      !memcmp(blob.buf, doc.rows[i].fields, blob.len));
		CHECK_INT(doc.rows[i].id, 31 + (int64_t)i);
	}
	edit_doc_release(&doc);
	sbuf_release(&out);
	sbuf_release(&blob);
	model_sheet_free(s);
}

int main(void)
{
	T(test_edit_jsonin_cases);
	T(test_edit_jsonin_round_trip);
	return t_run();
}
