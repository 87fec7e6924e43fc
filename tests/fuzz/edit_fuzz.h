#ifndef SSFS_TESTS_FUZZ_EDIT_FUZZ_H
#define SSFS_TESTS_FUZZ_EDIT_FUZZ_H

/*
 * For the edit/ fuzzers: a fixed base sheet, and one step that parses a
 * text (whole and in pieces: the same verdict and rows), diffs it and
 * checks the plan in the simulator (tests/unit/edit_check.h). Any result
 * but success with the property, or EINVAL, aborts.
 */

#include <stdlib.h>

#include "tests/unit/edit_check.h"

/* Task (primary), Done (CHECKBOX), Tags (MULTI_PICKLIST), Auto (system),
 * Due (DATE); rows with a parent and children. */
static inline struct model_sheet *fz_base(void)
{
	static const char *const titles[] = {"Task", "Done", "Tags", "Auto",
					     "Due"};
	static const enum model_col_type types[] = {
	    MODEL_COL_TEXT_NUMBER, MODEL_COL_CHECKBOX, MODEL_COL_MULTI_PICKLIST,
	    MODEL_COL_TEXT_NUMBER, MODEL_COL_DATE};
	static const char *const rows[][5] = {
	    {"Plan", "true", "a, b", "N-1", "2024-01-02"},
	    {"Design", "false", "", "N-2", ""},
	    {"Build", "", "a", "N-3", "2024-02-29"},
	    {"Plan", "true", "a, b", "N-4", "2024-01-02"},
	    {"7", "", "", "N-5", ""},
	    {"x,\"y\"\nz", "", "", "N-6", ""},
	};
	static const int parents[] = {-1, 0, 0, -1, 3, -1};
	struct model_sheet *s = t_sheet_new(titles, types, 5);
	size_t i;

	if (!s)
		abort();
	s->cols[3].system_type = MODEL_SYS_AUTO_NUMBER;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		t_sheet_row(s, 101 + (int64_t)i,
			    parents[i] >= 0 ? 101 + parents[i] : 0, rows[i]);
	return s;
}

static inline void fz_diff_check(const struct model_sheet *s, const char *text,
				 size_t len, bool json, size_t step)
{
	struct edit_doc whole = {0}, pieces = {0};
	struct edit_plan *p = NULL;
	char err[EDIT_ERR_MAX], why[256];
	size_t i;
	int rc1, rc2, rc;

	rc1 = t_parse(s, text, len, json, &whole, err);
	rc2 = t_parse_pieces(s, text, len, json, EDIT_CSV_EDIT, step, &pieces,
			     err);
	if (rc1 != rc2 || (rc1 && rc1 != -EINVAL))
		abort(); /* pieces changed the verdict, or not EINVAL */
	if (!rc1) {
		if (whole.nrows != pieces.nrows)
			abort();
		for (i = 0; i < whole.nrows; i++)
			if (whole.rows[i].len != pieces.rows[i].len ||
			    whole.rows[i].line != pieces.rows[i].line ||
			    memcmp(whole.rows[i].fields, pieces.rows[i].fields,
				   whole.rows[i].len))
				abort();
		rc = edit_diff(s, &whole, NULL, &p, err);
		if (rc && rc != -EINVAL)
			abort(); /* -EIO: the plan failed its own check */
		if (!rc && t_check(s, &whole, p, false, why, sizeof(why)))
			abort();
		edit_plan_free(p);
	}
	edit_doc_release(&whole);
	edit_doc_release(&pieces);
}

#endif /* SSFS_TESTS_FUZZ_EDIT_FUZZ_H */
