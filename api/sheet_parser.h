#ifndef SSFS_API_SHEET_PARSER_H
#define SSFS_API_SHEET_PARSER_H

#include <stddef.h>

#include "util/compat.h"

/*
 * The streaming sheet parser (GET /sheets/{id}, on api/jsonwalk.h). Feed it
 * the body in pieces of any size; finish builds the model. Memory grows with
 * the sheet's content, not with the JSON text. Any error is sticky and makes
 * finish fail. One thread at a time per parser.
 */

struct model_sheet;
struct sheet_parser;

/* NULL when out of memory. */
struct sheet_parser *sheet_parser_new(void);
void sheet_parser_free(struct sheet_parser *p);
/* Start over (a retried download); 0 or -ENOMEM. */
int sheet_parser_reset(struct sheet_parser *p) SSFS_WUR;
int sheet_parser_feed(struct sheet_parser *p, const char *data,
		      size_t n) SSFS_WUR;
/* On success the parser gives up the sheet to *out (model_sheet_free) and
 * may be reset or freed. -EIO for malformed or wrong-shaped JSON, -EFBIG
 * past the size caps, -ENOMEM; -EINVAL when the sheet was already given
 * up (feed too). */
int sheet_parser_finish(struct sheet_parser *p,
			struct model_sheet **out) SSFS_WUR;

#endif /* SSFS_API_SHEET_PARSER_H */
