#ifndef SSFS_FS_RENDER_H
#define SSFS_FS_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/model.h"
#include "util/sbuf.h"

/*
 * Sheet model -> file bytes (SPEC §4). Pure: no I/O, no globals, no locks.
 * Each function appends to out and returns 0 or a negative errno (-EFBIG when
 * out's cap is hit, -ENOMEM); on failure out is released.
 *
 * Choices SPEC §4 leaves open:
 * - o == NULL means the defaults (values=raw, LF).
 * - CSV of a sheet with no columns: an empty header line (just the line end),
 *   then one empty line per row.
 * - A cell with neither value nor displayValue but an objectValue array: CSV
 *   shows the array joined by ", " (contacts: the email with values=raw, the
 *   name with values=display, each falling back to the other).
 * - JSON: "version" is left out when it is negative, "permalink" and
 *   "modifiedAt" when NULL; "parentId" is null when parent_id is 0. A
 *   non-finite number is null. A cell with an objectValue array renders as
 *   the array, whatever its value. A cell with no value but a displayValue
 *   renders the displayValue as a string.
 * - JSON "cells" keys: the first column (in sheet order) with a title uses the
 *   title; each later column with the same title uses
 *   "<title> (<column id>)", with " (<column id>)" appended again while the
 *   key still equals another column's key. The "columns" array always shows
 *   the real titles.
 * - JSON strings escape '"', '\\', control characters (\n \r \t \b \f, others
 *   as \u00XX) and U+2028/U+2029; other UTF-8 is copied as it is (the model
 *   holds valid UTF-8).
 */

enum render_fmt {
	RENDER_FMT_CSV = 0,
	RENDER_FMT_JSON,
};

struct render_opts {
	bool display; /* values=display: displayValue first */
	bool crlf;    /* CSV records end in CRLF */
};

int render_csv(const struct model_sheet *s, const struct render_opts *o,
	       struct sbuf *out) SSFS_WUR;
int render_json(const struct model_sheet *s, struct sbuf *out) SSFS_WUR;
int render_sheet(const struct model_sheet *s, enum render_fmt fmt,
		 const struct render_opts *o, struct sbuf *out) SSFS_WUR;

/*
 * render_sheet into a new buffer of exactly *len + 1 bytes (the bytes and a
 * NUL): what a cache keeps for long, without the spare room the buffer's
 * doubling left. *data is the caller's to free(). Both outputs are written
 * only on success; 0 or a negative errno.
 */
int render_sheet_bytes(const struct model_sheet *s, enum render_fmt fmt,
		       const struct render_opts *o, char **data,
		       size_t *len) SSFS_WUR;

/*
 * A double as ECMAScript's Number.prototype.toString prints it: the shortest
 * text that reads back to the same double, no exponent for 1e-6 <= |x| <
 * 1e21, "-0" as "0", NaN as "NaN", infinities as "Infinity"/"-Infinity".
 * buf must hold RENDER_NUM_MAX bytes. Returns the length.
 */
#define RENDER_NUM_MAX 32
size_t render_number(double x, char *buf);

/* Append s as one CSV field (quoted when it holds , " CR or LF). */
int render_csv_field(struct sbuf *out, const char *s) SSFS_WUR;

/* Append s as a JSON string literal with escapes. */
int render_json_string(struct sbuf *out, const char *s) SSFS_WUR;

#endif /* SSFS_FS_RENDER_H */
