/*
 * The parsed text of a written sheet file (edit/doc.h): rows as blobs of
 * NUL-separated fields in an arena, and the message helpers every reader
 * uses. Pure: no I/O, no locks; any thread, one doc per thread at a time.
 */
#include "edit/doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

int edit_doc_init(struct edit_doc *d, enum edit_fmt fmt, size_t ncols)
{
	memset(d, 0, sizeof(*d));
	d->fmt = fmt;
	d->ncols = ncols;
	d->arena = arena_new();
	return d->arena ? 0 : -ENOMEM;
}

void edit_doc_release(struct edit_doc *d)
{
	free(d->rows);
	arena_free(d->arena);
	d->rows = NULL;
	d->arena = NULL;
	d->nrows = d->cap = d->bytes = 0;
}

int edit_doc_clear(struct edit_doc *d)
{
	struct arena *a = arena_new();

	if (!a)
		return -ENOMEM;
	arena_free(d->arena);
	d->arena = a;
	d->nrows = 0;
	d->bytes = 0;
	return 0;
}

int edit_doc_add(struct edit_doc *d, int64_t id, uint32_t line,
		 const char *fields, size_t len)
{
	struct edit_doc_row *r;
	char *copy;

	if (len > UINT32_MAX || len > EDIT_MAX_DOC_BYTES - d->bytes)
		return -EFBIG;
	if (d->nrows == d->cap) {
		size_t ncap = d->cap ? 2 * d->cap : 64;

		r = realloc(d->rows, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		d->rows = r;
		d->cap = ncap;
	}
	copy = arena_alloc(d->arena, len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, fields, len);
	r = &d->rows[d->nrows++];
	r->id = id;
	r->line = line;
	r->len = (uint32_t)len;
	r->fields = copy;
	d->bytes += len;
	return 0;
}

const char *edit_doc_field(const struct edit_doc_row *r, size_t col)
{
	const char *f = r->fields;

	while (col--)
		f = edit_next_field(f);
	return f;
}

int edit_errf(char *err, uint32_t line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err)
		return -EINVAL;
	if (line)
		n = snprintf(err, EDIT_ERR_MAX, "line %u: ", line);
	if (n < 0 || n >= EDIT_ERR_MAX)
		n = 0;
	va_start(ap, fmt);
	(void)vsnprintf(err + n, EDIT_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *edit_short(char *buf, const char *s)
{
	size_t keep = EDIT_SHORT_MAX - 4, n = strlen(s);

	if (n < EDIT_SHORT_MAX) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	/* Back off to the start of a UTF-8 character. */
	while (keep && ((unsigned char)s[keep] & 0xC0) == 0x80)
		keep--;
	memcpy(buf, s, keep);
	memcpy(buf + keep, "...", 4);
	return buf;
}
