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

/* The row's cells as `"key":value` pairs, comma separated; first: no
 * comma before the first pair. Empty cells are left out. */
int render_json_cells(const struct model_sheet *s, const struct model_row *r,
		      const struct sbuf *keys, const size_t *off, bool first,
		      struct sbuf *out);

/* About how many bytes the JSON file of s takes (to reserve at once). */
size_t render_json_estimate(const struct model_sheet *s, const size_t *off);

#endif /* SSFS_RENDER_JSON_I_H */
