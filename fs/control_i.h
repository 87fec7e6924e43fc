#ifndef SSFS_FS_CONTROL_I_H
#define SSFS_FS_CONTROL_I_H

/*
 * Inside fs/: the .auth/ control files (fs/control.c), for fs/ops.c.
 */

#include <stddef.h>
#include <stdint.h>

#include "fs/ops_i.h"

struct fsops_ctx;
struct sbuf;

/*
 * Writes (the .auth/ control files; sheet files with write-back) are the
 * mounting user's or root's: 0, or -EACCES for anyone else (the caller of
 * the current FUSE operation).
 */
int control_may_write(void);

/*
 * The text of .auth/status or .auth/url (k) for an open: the one the last
 * stat measured when that was less than 2 s ago and no open took it yet
 * (so a stat and the open after it agree), else rendered now.
 * control_size renders it for stat and keeps it. 0 or -errno.
 * control_release drops what is kept (a write to .auth/, the end).
 */
int control_text(struct fsops_ctx *x, enum node_kind k, struct sbuf *sb);
int control_size(struct fsops_ctx *x, enum node_kind k, int64_t *size);
void control_release(void);

/* A write to .auth/verifier or .auth/refresh (h->kind): size, or -errno. */
int control_write(struct fsops_ctx *x, struct handle *h, const char *buf,
		  size_t size);

#endif /* SSFS_FS_CONTROL_I_H */
