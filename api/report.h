#ifndef SSFS_API_REPORT_H
#define SSFS_API_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * How a report's pages add up (SPEC §7: GET /reports/{id} page after page
 * until totalRowCount rows are in), apart from the transfer so that unit
 * tests and the fuzzer run the same rules as api_get_report. Pure; any
 * thread.
 */

struct model_sheet;

/*
 * After a page: before and after are the rows held before and after it,
 * total the report's totalRowCount (-1 when it sent none). 0: every row is
 * in; 1: ask for the next page; -EIO when the pages cannot add up, and then
 * *why says why (a static string): no totalRowCount, more rows than it
 * says, or a page that added no row before they were all in.
 */
int api_report_step(int64_t before, int64_t after, int64_t total,
		    const char **why) SSFS_WUR;

/*
 * A report from its pages' bodies (pages[i], lens[i] bytes), as
 * api_get_report reads them: the pages are parsed in order until
 * api_report_step says every row is in (later pages are not read). On
 * success *out is a new model (is_report; model_sheet_free) holding exactly
 * totalRowCount rows. -EIO for a malformed page, pages that do not add up,
 * or too few pages; -ESTALE when a later page contradicts the first (the
 * report changed between them); -EFBIG, -ENOMEM.
 */
int api_parse_report(const char *const *pages, const size_t *lens,
		     size_t npages, struct model_sheet **out) SSFS_WUR;

#endif /* SSFS_API_REPORT_H */
