#ifndef SSFS_UTIL_SBUF_H
#define SSFS_UTIL_SBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/compat.h"

/*
 * A growable byte buffer (git strbuf's invariants, curl dynbuf's cap).
 *
 * Invariants: after sbuf_init()/SBUF_INIT, buf is never NULL and
 * buf[len] == '\0'; alloc == 0 means buf is the shared static "" (never write
 * to it). Growth past max fails with -EFBIG; any failure releases the buffer
 * but leaves it valid (empty). Functions return 0 or a negative errno.
 */
struct sbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;
};

extern char sbuf_empty[1];
#define SBUF_INIT(cap) {.buf = sbuf_empty, .len = 0, .alloc = 0, .max = (cap)}

void sbuf_init(struct sbuf *sb, size_t max);
/* Back to the SBUF_INIT state; idempotent. */
void sbuf_release(struct sbuf *sb);
/* len = 0, keeps the allocation. */
void sbuf_reset(struct sbuf *sb);
/* Make room for at least n more bytes. */
int sbuf_grow(struct sbuf *sb, size_t n) SSFS_WUR;
int sbuf_add(struct sbuf *sb, const void *data, size_t n) SSFS_WUR;
int sbuf_addstr(struct sbuf *sb, const char *s) SSFS_WUR;
int sbuf_addch(struct sbuf *sb, char c) SSFS_WUR;
int sbuf_addf(struct sbuf *sb, const char *fmt, ...) SSFS_WUR SSFS_PRINTF(2, 3);
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) SSFS_WUR
	SSFS_PRINTF(2, 0);
/* Returns the buffer (caller free()s; never NULL unless out of memory) and
 * resets sb to SBUF_INIT with the same max. *len may be NULL. */
char *sbuf_detach(struct sbuf *sb, size_t *len);

#endif /* SSFS_UTIL_SBUF_H */
