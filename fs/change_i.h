#ifndef SSFS_FS_CHANGE_I_H
#define SSFS_FS_CHANGE_I_H

/*
 * Inside fs/: the FUSE callbacks that change something (fs/change.c), for
 * the operations table in fs/ops.c. Without -o write each is EROFS (but
 * the writes to .auth/); with it, SPEC §8.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct fsops_ctx;
struct fuse_file_info;
struct handle;

int fsops_write(const char *path, const char *buf, size_t size, off_t off,
		struct fuse_file_info *fi);
int fsops_flush(const char *path, struct fuse_file_info *fi);
int fsops_fsync(const char *path, int datasync, struct fuse_file_info *fi);
int fsops_create(const char *path, mode_t mode, struct fuse_file_info *fi);
int fsops_mkdir(const char *path, mode_t mode);
int fsops_unlink(const char *path);
int fsops_rmdir(const char *path);
int fsops_symlink(const char *from, const char *to);
int fsops_link(const char *from, const char *to);
int fsops_rename(const char *from, const char *to, unsigned int flags);
int fsops_truncate(const char *path, off_t size, struct fuse_file_info *fi);
int fsops_chmod(const char *path, mode_t mode, struct fuse_file_info *fi);
int fsops_chown(const char *path, uid_t uid, gid_t gid,
		struct fuse_file_info *fi);
int fsops_utimens(const char *path, const struct timespec tv[2],
		  struct fuse_file_info *fi);
int fsops_setxattr(const char *path, const char *name, const char *value,
		   size_t size, int flags);
int fsops_removexattr(const char *path, const char *name);

/* getattr of a scratch file (through its handle when fi has one). */
int fsops_scratch_attr(const char *path, struct fuse_file_info *fi,
		       struct stat *st);
/* open of a scratch file: h takes a reference to it. */
int fsops_scratch_open(struct fsops_ctx *x, const char *path, struct handle *h,
		       struct fuse_file_info *fi);

#endif /* SSFS_FS_CHANGE_I_H */
