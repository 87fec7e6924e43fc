/*
 * The growable byte buffer (util/sbuf.h): git strbuf's invariants (buf is
 * never NULL, always NUL-terminated) and curl dynbuf's cap (-EFBIG past
 * max, and any failure releases it). Not locked: an sbuf belongs to one
 * thread at a time.
 */
#include "util/sbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb, size_t max)
{
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->max = max;
}

void sbuf_release(struct sbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sbuf_init(sb, sb->max);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

int sbuf_grow(struct sbuf *sb, size_t n)
{
	size_t need, want;
	char *p;

	if (n > SIZE_MAX - sb->len - 1 || (sb->max && sb->len + n > sb->max)) {
		sbuf_release(sb);
		return -EFBIG;
	}
	need = sb->len + n + 1;
	if (need <= sb->alloc)
		return 0;
	want = sb->alloc ? sb->alloc : 64;
	while (want < need)
		want = want > SIZE_MAX / 2 ? need : want * 2;
	if (sb->max && want > sb->max + 1)
		want = sb->max + 1;
	p = realloc(sb->alloc ? sb->buf : NULL, want);
	if (!p) {
		sbuf_release(sb);
		return -ENOMEM;
	}
	if (!sb->alloc)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = want;
	return 0;
}

int sbuf_add(struct sbuf *sb, const void *data, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = sbuf_grow(sb, n);
	if (rc)
		return rc;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_addstr(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addch(struct sbuf *sb, char c)
{
	return sbuf_add(sb, &c, 1);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		sbuf_release(sb);
		return -EINVAL;
	}
	rc = sbuf_grow(sb, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
	char *p = sb->alloc ? sb->buf : strdup("");

	if (len)
		*len = sb->alloc ? sb->len : 0;
	sbuf_init(sb, sb->max);
	return p;
}
