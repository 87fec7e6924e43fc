#ifndef SSFS_EDIT_CSVIN_H
#define SSFS_EDIT_CSVIN_H

#include <stddef.h>

#include "api/model.h"
#include "edit/doc.h"

/*
 * CSV text -> rows (SPEC §8), streaming: the text may come in pieces of
 * any size. RFC 4180: fields quoted or not, "" for a quote inside quotes,
 * CR and LF inside quoted fields kept as they are; records end in LF, CRLF
 * (or a lone CR); the last one may lack its line end; an optional UTF-8
 * byte order mark at the very start is skipped (-o bom files). Nothing is
 * trimmed: spaces are part of a field, as render/ writes them. Parsed with
 * Debian's libcsv in strict mode (a quote inside an unquoted field, or
 * anything but a comma or a line end after a closing quote, is EINVAL).
 * Errors name the line on which the record starts (1-based).
 *
 * Records go to an edit_doc of format EDIT_FMT_CSV: one row per record,
 * each with exactly the sheet's number of fields.
 *
 * Two modes:
 * - EDIT_CSV_APPEND (>>): records without a header; a record may have
 *   fewer fields than the sheet has columns (the rest are empty), never
 *   more. An empty line is a record of one empty field.
 * - EDIT_CSV_EDIT (a whole new file): the first record is the header and
 *   must be the sheet's column titles in order; each later record must
 *   have exactly one field per column (§4 writes every field, so a short
 *   record is a damaged line, not a wish to clear cells). A text with no
 *   line at all is EINVAL; a header alone is a sheet with no rows.
 *
 * Threads: one reader per thread at a time; no globals.
 */

enum edit_csv_mode {
	EDIT_CSV_APPEND = 0,
	EDIT_CSV_EDIT,
};

struct edit_csvin;

/* A new reader (NULL: out of memory). s is borrowed and must outlive it. */
struct edit_csvin *edit_csvin_new(const struct model_sheet *s,
				  enum edit_csv_mode mode);
void edit_csvin_free(struct edit_csvin *r);

/*
 * Read len more bytes. Every record they complete is in edit_csvin_doc()
 * when this returns. 0, or -EINVAL with err (the record is refused; what
 * came before it stays in the doc), -ENOMEM, -EFBIG. After a failure every
 * later call returns the same error.
 */
int edit_csvin_feed(struct edit_csvin *r, const void *data, size_t len,
		    char *err) SSFS_WUR;

/*
 * The end of the text: a last record without a line end is complete; a
 * quoted field still open is EINVAL. 0 or a negative errno as for feed.
 */
int edit_csvin_finish(struct edit_csvin *r, char *err) SSFS_WUR;

/* The rows read so far, borrowed from the reader. An appender sends them,
 * then drops them with edit_doc_clear(). */
struct edit_doc *edit_csvin_doc(struct edit_csvin *r);

#endif /* SSFS_EDIT_CSVIN_H */
