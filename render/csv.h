#ifndef SSFS_RENDER_CSV_H
#define SSFS_RENDER_CSV_H

#include "api/model.h"
#include "render/render.h"
#include "util/sbuf.h"

/*
 * Sheet model -> CSV bytes (SPEC §4: RFC 4180, UTF-8, no BOM). Pure: no I/O,
 * no globals, no locks. Each function appends to out and returns 0 or a
 * negative errno (-EFBIG when out's cap is hit, -ENOMEM).
 *
 * Choices SPEC §4 leaves open:
 * - o == NULL means the defaults (values=raw, LF).
 * - A sheet with no columns: an empty header line (just the line end), then
 *   one empty line per row.
 * - A cell with neither value nor displayValue but an objectValue array
 *   shows the array joined by ", " (contacts: the email with values=raw, the
 *   name with values=display, each falling back to the other).
 */

/* The whole file; on failure out is released. */
int render_csv(const struct model_sheet *s, const struct render_opts *o,
	       struct sbuf *out) SSFS_WUR;

/*
 * Append the text the file shows for cell c (NULL: an empty cell), before
 * quoting: what a CSV reader gives back for that field. edit/ compares the
 * fields of a written file with these. scratch is a buffer of the caller's,
 * used for objectValue arrays (its content is lost).
 */
int render_csv_cell_text(struct sbuf *out, const struct model_cell *c,
			 bool display, struct sbuf *scratch) SSFS_WUR;

/* Append s as one CSV field (quoted when it holds , " CR or LF). */
int render_csv_field(struct sbuf *out, const char *s) SSFS_WUR;

#endif /* SSFS_RENDER_CSV_H */
