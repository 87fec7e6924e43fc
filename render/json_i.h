#ifndef SSFS_RENDER_JSON_I_H
#define SSFS_RENDER_JSON_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/model.h"
#include "util/sbuf.h"

/*
 * Inside render/: the pieces of json.c that ndjson.c writes its rows with,
 * so that both files show a cell the same way. Each returns 0 or a
 * negative errno, as render_json does.
 */

/* An exact int64 in decimal. */
int render_json_i64(struct sbuf *out, int64_t v);

/* A row's link: its parent's id (a report's row: its sheet's), or null. */
int render_json_link(struct sbuf *out, const struct model_sheet *s,
		     const struct model_row *r);

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

/* A cell's value in its JSON type (see json.h for the rules). */
int render_json_value(struct sbuf *out, const struct model_cell *c);

/* The row's cells as `"key":value` pairs, comma separated; first: no
 * comma before the first pair. Empty cells are left out. */
int render_json_cells(const struct model_sheet *s, const struct model_row *r,
		      const struct sbuf *keys, const size_t *off, bool first,
		      struct sbuf *out);

/* About how many bytes the JSON file of s takes (to reserve at once). */
size_t render_json_estimate(const struct model_sheet *s, const size_t *off);

#endif /* SSFS_RENDER_JSON_I_H */
