#ifndef SSFS_FS_WRITE_I_H
#define SSFS_FS_WRITE_I_H

/*
 * Inside fs/: write-back (SPEC §8) for fs/ops.c. fs/write.c: modes, the
 * caller check, the edit handles of sheet files; fs/scratch.c: scratch
 * files; fs/rejected.c: .rejected/ and .status. Not for other modules.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs/ops_i.h"

struct fsops_ctx;
struct fuse_file_info;

/* ---- fs/write.c ---- */

/*
 * 0 when the current operation may change something: -o write is on and
 * the caller is the mounting user or root (SPEC §8); -EROFS without -o
 * write, -EACCES for another user.
 */
int fsw_may_change(const struct fsops_ctx *x);

/* The mode bits of a sheet's or report's file: 0644 for a sheet the
 * mount may write (write on, accessLevel OWNER, ADMIN, EDITOR_SHARE or
 * EDITOR, not .ndjson), else 0444. */
mode_t fsw_file_mode(const struct fsops_ctx *x, const struct node *n);

/* Whether scratch files may be created in a folder of kind k. */
bool fsw_dir_writable(const struct fsops_ctx *x, enum node_kind k);

/* 0 when n is a sheet file this mount may write, else -EACCES (a report,
 * .ndjson, a sheet without edit access) or -EROFS (no -o write). */
int fsw_file_writable(const struct fsops_ctx *x, const struct node *n);

/*
 * Open a sheet's file for writing (fi->flags has O_WRONLY, O_RDWR or
 * O_TRUNC): h->edit buffers what is written. path is the FUSE path.
 */
int fsw_open(struct fsops_ctx *x, const char *path, const struct node *n,
	     struct handle *h, struct fuse_file_info *fi);
int fsw_read(struct handle *h, char *buf, size_t size, off_t off);
int fsw_write(struct handle *h, const char *buf, size_t size, off_t off);
/* The size an fstat of the handle shows: its text's, or -1 when the
 * sheet's applies (appending, or saved and not written since). */
int64_t fsw_size(const struct handle *h);
/* ftruncate of an edit handle. */
int fsw_ftruncate(struct handle *h, off_t size);
/* close() (flush) and fsync: save what is pending; 0 or -errno. */
int fsw_flush(struct handle *h);
/* The last close: save what is still pending (errors only logged), free
 * h->edit. */
void fsw_release(struct handle *h);
/* The session ended with h still open: what it holds unsaved goes to
 * .rejected/ (no request at the end of the session); free h->edit. */
void fsw_abandon(struct fsops_ctx *x, struct handle *h);

/* rename(scratch, sheet file): save the scratch text to the sheet. */
int fsw_save_scratch(struct fsops_ctx *x, const char *from, const char *to,
		     const struct node *dst);

/* A text of *len bytes in a buffer of *alloc: made want bytes long, the
 * new bytes zero. 0 or -ENOMEM. */
int fsw_resize(char **buf, size_t *len, size_t *alloc, size_t want);

/* ---- fs/scratch.c ---- */

/* A new scratch file at path (its folder is writable): -EEXIST when one
 * is there. *out: a reference (scratch_put). */
int scratch_create(const char *path, mode_t mode, struct scratch **out);
/* A reference to the scratch file at path, or -ENOENT. */
int scratch_get(const char *path, struct scratch **out);
void scratch_put(struct scratch *s);
bool scratch_exists(const char *path);
void scratch_stat(struct scratch *s, struct stat *st);
int scratch_read(struct scratch *s, char *buf, size_t size, off_t off);
/* Every scratch file together holds at most max bytes: -ENOSPC. */
int scratch_write(struct scratch *s, const char *buf, size_t size, off_t off,
		  uint64_t max);
int scratch_truncate(struct scratch *s, off_t size, uint64_t max);
void scratch_chmod(struct scratch *s, mode_t mode);
void scratch_touch(struct scratch *s, const struct timespec tv[2]);
/* A copy of the text (free it). 0 or -ENOMEM. */
int scratch_copy(struct scratch *s, char **text, size_t *len);
int scratch_unlink(const char *path);
/* Move from to to, replacing a scratch file there. */
int scratch_rename(const char *from, const char *to);
/* The scratch files in folder dir ("/sheets"): their names to fill. */
void scratch_list(const char *dir, void *buf,
		  int (*fill)(void *buf, const char *name));
/* The end of the session: every scratch file is gone. */
void scratch_release_all(void);

/* ---- fs/rejected.c ---- */

int rejected_getattr(struct fsops_ctx *x, const struct node *n,
		     struct stat *st);
int rejected_readdir(struct fsops_ctx *x, void *buf,
		     int (*fill)(void *buf, const char *name));
/* Open .status (its text) or a rejected file (a descriptor) for reading. */
int rejected_open(struct fsops_ctx *x, const struct node *n, struct handle *h,
		  struct fuse_file_info *fi);
int rejected_read(struct handle *h, char *buf, size_t size, off_t off);
int rejected_unlink(struct fsops_ctx *x, const struct node *n);

#endif /* SSFS_FS_WRITE_I_H */
