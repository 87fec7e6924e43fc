#ifndef SSFS_RENDER_RENDER_I_H
#define SSFS_RENDER_RENDER_I_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "api/model.h"
#include "util/sbuf.h"

/*
 * What csv.c and json.c share, inline because they run for every field:
 * appending to the output and the rule for "the cell has a value". Only
 * render/ includes this header.
 */

/*
 * Append n bytes. When the buffer already has room this is a memcpy and no
 * call; alloc is never above max + 1, so the cap still holds.
 */
static inline int render_put(struct sbuf *sb, const void *p, size_t n)
{
	if (n < sb->alloc - sb->len) {
		memcpy(sb->buf + sb->len, p, n);
		sb->len += n;
		sb->buf[sb->len] = '\0';
		return 0;
	}
	return sbuf_add(sb, p, n);
}

#define RENDER_PUT_LIT(sb, lit) render_put((sb), (lit), sizeof(lit) - 1)

/* Grow out by an estimate, clamped so that a big guess never hits the cap. */
static inline int render_reserve(struct sbuf *out, size_t est)
{
	if (out->max && est > out->max - out->len)
		est = out->max - out->len;
	return sbuf_grow(out, est);
}

/* A value of its own (not only a displayValue or an objectValue). */
static inline bool render_has_value(const struct model_cell *c)
{
	return c->kind == MODEL_VAL_NUMBER || c->kind == MODEL_VAL_BOOL ||
	       (c->kind == MODEL_VAL_STRING && c->str);
}

#endif /* SSFS_RENDER_RENDER_I_H */
