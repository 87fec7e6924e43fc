/*
 * JSON edit texts against a fixed base sheet (edit/jsonin.c, diff.c): fed
 * whole and in pieces, the same verdict and rows; a text that parses
 * diffs to EINVAL or to a plan that gives the text's rows, ids and order.
 */
#include <stdint.h>

#include "tests/fuzz/edit_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model_sheet *s;

	if (!s)
		s = fz_base();
	if (size < 1)
		return 0;
	fz_diff_check(s, (const char *)data + 1, size - 1, true,
		      (size_t)(data[0] % 13) + 1);
	return 0;
}
