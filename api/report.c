/*
 * A report's pages: when enough rows are in (api_report_step, the rule
 * api_get_report follows) and a whole report from its pages' bodies, for
 * tests and fuzzing. Pure; called on any thread.
 */
#include "api/report.h"

#include <errno.h>
#include <inttypes.h>

#include "api/sheet_parser.h"
#include "util/log.h"

int api_report_step(int64_t before, int64_t after, int64_t total,
		    const char **why)
{
	if (total < 0) {
		*why = "no totalRowCount";
		return -EIO;
	}
	if (after > total) {
		*why = "more rows than totalRowCount";
		return -EIO;
	}
	if (after == total)
		return 0;
	if (after <= before) {
		*why = "a page added no row before totalRowCount was reached";
		return -EIO;
	}
	return 1;
}

int api_parse_report(const char *const *pages, const size_t *lens,
		     size_t npages, struct model_sheet **out)
{
	struct sheet_parser *p = sheet_parser_new_report();
	int64_t before = 0, rows = 0, total = -1;
	const char *why = "fewer pages than totalRowCount needs";
	size_t i;
	int rc, step = 1;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < npages && step > 0; i++) {
		rc = sheet_parser_feed(p, pages[i], lens[i]);
		if (!rc)
			rc = sheet_parser_end_page(p);
		if (rc)
			goto out;
		sheet_parser_count(p, &rows, &total);
		step = api_report_step(before, rows, total, &why);
		before = rows;
	}
	if (step) {
		log_debug("report: page %zu: %s (%" PRId64 " of %" PRId64
			  " rows)",
			  i, why, rows, total);
		rc = -EIO;
		goto out;
	}
	rc = sheet_parser_finish(p, out);
out:
	sheet_parser_free(p);
	return rc;
}
