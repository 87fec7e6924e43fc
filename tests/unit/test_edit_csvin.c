/*
 * CSV text -> rows (edit/csvin.c): RFC 4180's corners, fed whole and one
 * byte at a time; both modes; line numbers in errors; and the round trip:
 * what render/ writes reads back as the cells' texts.
 */
#include "edit/csvin.h"

#include <errno.h>

#include "tests/unit/edit_check.h"
#include "tests/unit/testlib.h"

#include "render/csv.h"

static const char *const titles3[] = {"A", "B", "C"};

struct csv_case {
	const char *in;
	const char *want;
};

static void check_cases(enum edit_csv_mode mode, const struct csv_case *t,
			size_t n)
{
	struct model_sheet *s = t_sheet_new(titles3, NULL, 3);
	char got[512], got1[512];
	size_t i;

	for (i = 0; i < n; i++) {
		t_parse_dump(s, t[i].in, false, mode, 1 << 20, false, got,
			     sizeof(got));
		t_parse_dump(s, t[i].in, false, mode, 1, false, got1,
			     sizeof(got1));
		if (strcmp(got, t[i].want) != 0)
			fprintf(stderr, "case %zu\n", i);
		CHECK_STR(got, t[i].want);
		CHECK_STR(got1, got); /* the same fed a byte at a time */
	}
	model_sheet_free(s);
}

static void test_edit_csvin_append(void)
{
	static const struct csv_case t[] = {
	    {"a,b,c\n", "@1 a|b|c;"},
	    {"a,b,c", "@1 a|b|c;"}, /* no final line end */
	    {"a,b,c\r\nd,e,f\r\n", "@1 a|b|c;@2 d|e|f;"},
	    {"a\n", "@1 a||;"}, /* fewer fields: empty */
	    {"\n", "@1 ||;"},	/* an empty line: an empty record */
	    {"a\r\n\r\nb", "@1 a||;@2 ||;@3 b||;"},
	    {"\"x,y\",\"say \"\"hi\"\"\",\"\"\n", "@1 x,y|say \"hi\"|;"},
	    {"\"l1\nl2\",b\nc\n", "@1 l1\nl2|b|;@3 c||;"},
	    {"\"l1\r\nl2\"\r\nc\r\n", "@1 l1\r\nl2||;@3 c||;"},
	    {" a , b ,c\t\n", "@1  a | b |c\t;"}, /* nothing trimmed */
	    {"\xEF\xBB\xBF"
	     "a,b\n",
	     "@1 a|b|;"}, /* BOM skipped */
	    {"\xEF\xBB"
	     "a\n",
	     "@1 \xEF\xBB"
	     "a||;"}, /* not a BOM */
	    {"a,b,c,d\n", "ERR line 1: more fields than the sheet's 3 "
			  "columns"},
	    {"a\nb,\"open\n\nx", "ERR line 2: a quoted field is not closed"},
	    {"a\nb\"c\n", "ERR line 2: a quote inside an unquoted field, "
			  "or text after a closing quote"},
	    {"\"a\"b\n", "ERR line 1: a quote inside an unquoted field, or "
			 "text after a closing quote"},
	    {"\"a\" ,b\n", "ERR line 1: a quote inside an unquoted field, "
			   "or text after a closing quote"},
	    {"", ""},
	};

	check_cases(EDIT_CSV_APPEND, t, sizeof(t) / sizeof(t[0]));
}

static void test_edit_csvin_edit(void)
{
	static const struct csv_case t[] = {
	    {"A,B,C\n1,2,3\n", "@2 1|2|3;"},
	    {"A,B,C\n", ""},
	    {"A,B,C", ""},
	    {"\xEF\xBB\xBF"
	     "A,B,C\r\n1,\"2\n2\",3\r\n4,5,6",
	     "@2 1|2\n2|3;@4 4|5|6;"},
	    {"", "ERR the text is empty: a sheet file needs at least its "
		 "header line"},
	    {"A,X,C\n", "ERR line 1: the columns must be the sheet's, in "
			"this order: column 2 is \"X\", not \"B\""},
	    {"A,B\n", "ERR line 1: the columns must be the sheet's, in "
		      "this order: \"C\" (column 3) is missing"},
	    {"A,B,C,D\n", "ERR line 1: the columns must be the sheet's, in "
			  "this order: there are more than its 3"},
	    {"A,B,C\n1,2\n", "ERR line 2: 2 fields, but the sheet has 3 "
			     "columns (every line needs all of them)"},
	    {"A,B,C\n1,2,3\n\n", "ERR line 3: 1 field, but the sheet has 3 "
				 "columns (every line needs all of them)"},
	};

	check_cases(EDIT_CSV_EDIT, t, sizeof(t) / sizeof(t[0]));
}

/* An append sends what each write completes: the doc can be emptied. */
static void test_edit_csvin_append_by_writes(void)
{
	struct model_sheet *s = t_sheet_new(titles3, NULL, 3);
	struct edit_csvin *r = edit_csvin_new(s, EDIT_CSV_APPEND);
	char err[EDIT_ERR_MAX];

	CHECK_INT(edit_csvin_feed(r, "a,b\nc,\"d", 8, err), 0);
	CHECK_INT(edit_csvin_doc(r)->nrows, 1);
	CHECK_INT(edit_doc_clear(edit_csvin_doc(r)), 0);
	CHECK_INT(edit_csvin_feed(r, "\ne\"\n", 4, err), 0);
	CHECK_INT(edit_csvin_doc(r)->nrows, 1);
	CHECK_STR(edit_doc_field(&edit_csvin_doc(r)->rows[0], 1), "d\ne");
	CHECK_INT(edit_csvin_doc(r)->rows[0].line, 2);
	CHECK_INT(edit_csvin_finish(r, err), 0);
	edit_csvin_free(r);
	/* An open quote at close. */
	r = edit_csvin_new(s, EDIT_CSV_APPEND);
	CHECK_INT(edit_csvin_feed(r, "x,\"y", 4, err), 0);
	CHECK_INT(edit_csvin_finish(r, err), -EINVAL);
	CHECK(strstr(err, "not closed") != NULL);
	/* Refused once, refused after. */
	CHECK_INT(edit_csvin_feed(r, "z\n", 2, err), -EINVAL);
	edit_csvin_free(r);
	model_sheet_free(s);
}

/* What render/ writes reads back as the cells' texts. */
static void test_edit_csvin_round_trip(void)
{
	static const char *const titles[] = {"A,b", "say \"x\"", " c "};
	static const char *const r1[] = {"x,y", "q\"q", " lead"};
	static const char *const r2[] = {"l1\r\nl2", "", "tail "};
	static const char *const r3[] = {"", "", ""};
	struct model_sheet *s = t_sheet_new(titles, NULL, 3);
	struct render_opts o = {.crlf = true, .bom = true};
	struct sbuf out = SBUF_INIT(0), blob = SBUF_INIT(0);
	struct edit_doc doc = {0};
	char err[EDIT_ERR_MAX];
	size_t i;

	t_sheet_row(s, 1, 0, r1);
	t_sheet_row(s, 2, 0, r2);
	t_sheet_row(s, 3, 0, r3);
	CHECK_INT(render_csv(s, &o, &out), 0);
	CHECK_INT(t_parse(s, out.buf, out.len, false, &doc, err), 0);
	CHECK_INT(doc.nrows, 3);
	for (i = 0; i < doc.nrows && i < 3; i++) {
		t_base_blob(s, i, EDIT_FMT_CSV, false, &blob);
		CHECK(blob.len == doc.rows[i].len &&
		      !memcmp(blob.buf, doc.rows[i].fields, blob.len));
	}
	edit_doc_release(&doc);
	sbuf_release(&out);
	sbuf_release(&blob);
	model_sheet_free(s);
}

int main(void)
{
	T(test_edit_csvin_append);
	T(test_edit_csvin_edit);
	T(test_edit_csvin_append_by_writes);
	T(test_edit_csvin_round_trip);
	return t_run();
}
