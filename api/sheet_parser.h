#ifndef SSFS_API_SHEET_PARSER_H
#define SSFS_API_SHEET_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * The streaming sheet parser (GET /sheets/{id}, on api/jsonwalk.h). Feed it
 * the body in pieces of any size; finish builds the model. Memory grows with
 * the sheet's content, not with the JSON text. Any error is sticky and makes
 * finish fail. One thread at a time per parser.
 *
 * A report parser (GET /reports/{id}, SPEC §7) reads a report's pages into
 * one model (is_report): feed a page, end_page, feed the next, ... then
 * finish. The first page gives the header and the columns (each column's id
 * its virtualId, each cell's column its virtualColumnId, each row's sheet_id
 * its sheetId); later pages add their rows. A later page whose id differs
 * from the first's is -EIO; one whose totalRowCount or modifiedAt differs
 * is -ESTALE (the report changed between the pages: read it again). How
 * many pages make the report is the caller's count (sheet_parser_count,
 * api/report.h).
 */

struct model_sheet;
struct sheet_parser;

/* NULL when out of memory. */
struct sheet_parser *sheet_parser_new(void);
struct sheet_parser *sheet_parser_new_report(void);
void sheet_parser_free(struct sheet_parser *p);
/* Start over (a retried download); 0 or -ENOMEM. On a report's later page
 * only that page starts over. */
int sheet_parser_reset(struct sheet_parser *p) SSFS_WUR;
int sheet_parser_feed(struct sheet_parser *p, const char *data,
		      size_t n) SSFS_WUR;
/* On success the parser gives up the sheet to *out (model_sheet_free) and
 * may be reset or freed. -EIO for malformed or wrong-shaped JSON, -EFBIG
 * past the size caps, -ENOMEM; -EINVAL when the sheet was already given
 * up (feed too). */
int sheet_parser_finish(struct sheet_parser *p,
			struct model_sheet **out) SSFS_WUR;

/* A report's page was fed whole: check it as finish would, and make ready
 * for the next. 0, or the error finish would give (-EINVAL: not a report
 * parser). */
int sheet_parser_end_page(struct sheet_parser *p) SSFS_WUR;

/* The rows held so far and the totalRowCount of the (first) page (-1 when
 * none was sent). */
void sheet_parser_count(const struct sheet_parser *p, int64_t *rows,
			int64_t *total);

#endif /* SSFS_API_SHEET_PARSER_H */
