#ifndef SSFS_EDIT_JSONIN_H
#define SSFS_EDIT_JSONIN_H

#include <stddef.h>

#include "api/model.h"
#include "edit/doc.h"

/*
 * A written sheet JSON file -> rows (SPEC §8 step 1), streaming: the text
 * may come in pieces of any size and is never held whole (a 47 MB file
 * costs its rows' cells, not a DOM). Any JSON with the structure §4
 * writes is taken, one row a line or pretty-printed (jq) or compact:
 *
 *   {"id", "name", "version", "permalink", "modifiedAt": scalars, ignored;
 *    "columns": [{"id", "title", "type", "primary", "hidden"}, ...]:
 *        the titles must be the sheet's, in order (the rest is ignored);
 *    "rows": [{"id": the row's id, absent or null for a new row,
 *              "rowNumber", "parentId": ignored,
 *              "cells": {key: value}}, ...]}
 *
 * Cell keys are render/json.c's (render_json_cell_keys): a title, or
 * "<title> (<column id>)" for a later column of the same title. A value is
 * a string, number, boolean, null, an array of strings or an array of
 * {"name", "email"} objects. An unknown key anywhere, a key twice in one
 * object, an unknown cell key, or a value of another shape is EINVAL,
 * naming the line where the row starts. The order of the rows is the new
 * order.
 *
 * Rows go to an edit_doc of format EDIT_FMT_JSON (see doc.h: each cell as
 * canonical JSON, so that an unchanged cell is byte-equal to
 * render_json_value's text of the base cell: numbers are read and printed
 * back with render_number_json, strings escaped as render/ escapes them,
 * contacts written name first).
 *
 * Threads: one reader per thread at a time; no globals.
 */

struct edit_jsonin;

/* A new reader (NULL: out of memory). s is borrowed and must outlive it. */
struct edit_jsonin *edit_jsonin_new(const struct model_sheet *s);
void edit_jsonin_free(struct edit_jsonin *r);

/* Read len more bytes. 0, or -EINVAL with err, -ENOMEM, -EFBIG; after a
 * failure every later call returns the same error. */
int edit_jsonin_feed(struct edit_jsonin *r, const void *data, size_t len,
		     char *err) SSFS_WUR;

/* The end of the text (an empty or cut text is EINVAL). */
int edit_jsonin_finish(struct edit_jsonin *r, char *err) SSFS_WUR;

/* The rows read, borrowed from the reader. */
struct edit_doc *edit_jsonin_doc(struct edit_jsonin *r);

#endif /* SSFS_EDIT_JSONIN_H */
