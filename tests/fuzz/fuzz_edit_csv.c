/*
 * CSV edit texts against a fixed base sheet (edit/csvin.c, diff.c): the
 * text fed whole and in pieces gives the same verdict and rows; a text
 * that parses either diffs to EINVAL or to a plan that, run in the
 * simulator, gives exactly the text with ids kept. Also the append path.
 */
#include <stdint.h>

#include "tests/fuzz/edit_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model_sheet *s;
	struct edit_csvin *r;
	struct edit_plan *p = NULL;
	char err[EDIT_ERR_MAX];
	size_t step;
	int rc;

	if (!s)
		s = fz_base();
	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 13) + 1;
	fz_diff_check(s, (const char *)data + 1, size - 1, false, step);
	/* The same bytes appended. */
	r = edit_csvin_new(s, EDIT_CSV_APPEND);
	rc = edit_csvin_feed(r, data + 1, size - 1, err);
	if (!rc)
		rc = edit_csvin_finish(r, err);
	if (!rc) {
		rc = edit_plan_append(s, edit_csvin_doc(r), &p, err);
		if (!rc && p->nadded != edit_csvin_doc(r)->nrows)
			abort();
	}
	if (rc && rc != -EINVAL)
		abort();
	edit_plan_free(p);
	edit_csvin_free(r);
	return 0;
}
