#ifndef SSFS_RENDER_JSON_H
#define SSFS_RENDER_JSON_H

#include <stddef.h>

#include "api/model.h"
#include "util/sbuf.h"

/*
 * Sheet model -> JSON bytes (SPEC §4: everything up to "rows":[ on the first
 * line, one row object a line, "]}" last). Pure: no I/O, no globals, no
 * locks. Each function appends to out and returns 0 or a negative errno
 * (-EFBIG when out's cap is hit, -ENOMEM).
 *
 * Choices SPEC §4 leaves open:
 * - "version" is left out when it is negative, "permalink" and "modifiedAt"
 *   when NULL; "parentId" is null when parent_id is 0. A non-finite number
 *   is null. A cell with an objectValue array renders as the array, whatever
 *   its value. A cell with no value but a displayValue renders the
 *   displayValue as a string.
 * - "cells" keys: the first column (in sheet order) with a title uses the
 *   title; each later column with the same title uses
 *   "<title> (<column id>)", with " (<column id>)" appended again while the
 *   key still equals another column's key. The "columns" array always shows
 *   the real titles.
 * - Strings escape '"', '\\', control characters (\n \r \t \b \f, others as
 *   \u00XX) and U+2028/U+2029; other UTF-8 is copied as it is (the model
 *   holds valid UTF-8).
 *
 * A report (s->is_report, SPEC §7) is written the same way, but each column
 * carries "virtualId" (its id) for "id", each row "sheetId" (its source
 * sheet; null when 0) for "parentId", and the first line "totalRowCount"
 * (left out when negative) for "version":
 *
 *	{"id":1,"name":"R","totalRowCount":2,"permalink":"..","modifiedAt":"..",
 *	"columns":[{"virtualId":5,"title":"Sheet Name","type":"TEXT_NUMBER"},..],
 *	"rows":[
 *	{"id":21,"rowNumber":1,"sheetId":4,"cells":{"Sheet Name":"Plan",..}},
 */

/* The whole file; on failure out is released. */
int render_json(const struct model_sheet *s, struct sbuf *out) SSFS_WUR;

/*
 * The key of each column in a row's cells, written as `"key":` into keys,
 * with its start offset in off[col] (off[ncols] is the end; off has
 * ncols + 1 slots). The first column with a title keeps it; a later one,
 * or one whose title is among reserved (a NULL-terminated list, or NULL),
 * gets " (<column id>)", again until the key is unique.
 */
int render_json_cell_keys(const struct model_sheet *s,
			  const char *const *reserved, struct sbuf *keys,
			  size_t *off);

/* A cell's value in its JSON type (see above for the rules); edit/ compares
 * the cells of a written file with it. */
int render_json_value(struct sbuf *out, const struct model_cell *c);

/* A contact of a multi-contact cell: {"name":..,"email":..}, each left
 * out when NULL. */
int render_json_contact(struct sbuf *out, const struct model_contact *ct);

/* Append s as a JSON string literal with escapes (NULL as ""). */
int render_json_string(struct sbuf *out, const char *s) SSFS_WUR;

#endif /* SSFS_RENDER_JSON_H */
