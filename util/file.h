#ifndef SSFS_UTIL_FILE_H
#define SSFS_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/compat.h"

/*
 * Files and folders: the helpers that the settings store, the disk cache
 * and config import share. libc only; no state, so any thread.
 */

/* What a temporary file's name has after the name it will replace:
 * "<name>.tmp.XXXXXX". Whoever lists a folder skips such names. */
#define FILE_TMP_TAG ".tmp."

/* The folder part of path ("." when it has none, "/" for "/x"): a new
 * string (caller frees), NULL when out of memory. */
char *file_dirname(const char *path);

/*
 * mkdir -p: create path and every missing folder above it, mode 0700;
 * folders that exist are left as they are. 0 once path is a folder (or a
 * link to one). -ENOTDIR when path, or a folder above it, exists and is
 * not a folder; else the errno of mkdir(2), or -ENOMEM. failed (NULL: not
 * wanted) receives the folder that could not be made, for the caller's
 * message.
 */
int file_mkdirs(const char *path, char *failed, size_t failedlen) SSFS_WUR;

/*
 * A file written under a temporary name in the folder of the file it
 * replaces, then renamed over it: a reader (or a crash) sees the old file
 * or the new one, never a mix, and rename() cannot cross file systems. For
 * callers that write in pieces or do something between the steps (the
 * disk cache); file_write_atomic() is the whole sequence.
 *
 * file_tmp_open: create "<name>.tmp.XXXXXX" relative to dirfd (AT_FDCWD:
 * name is a path) with O_EXCL and O_NOFOLLOW, exactly mode (whatever the
 * umask); write to t->fd. 0 or -errno; on failure t is left empty (fd
 * -1, name NULL), so file_tmp_discard may follow either way.
 * file_tmp_close: close t->fd, after fsync(2) when sync. -errno when either
 * fails (close is where NFS and quotas report a failed write).
 * file_tmp_commit: rename the temporary file over name (relative to the
 * same dirfd). 0, or -errno with the temporary file still there.
 * file_tmp_discard: close what is open and remove the temporary file
 * unless it was committed. Idempotent; call it on every path.
 */
struct file_tmp {
	int dirfd;  /* borrowed */
	int fd;	    /* the temporary file while open, else -1 */
	char *name; /* its name; NULL once committed or discarded */
};

int file_tmp_open(struct file_tmp *t, int dirfd, const char *name,
		  mode_t mode) SSFS_WUR;
int file_tmp_close(struct file_tmp *t, bool sync) SSFS_WUR;
int file_tmp_commit(struct file_tmp *t, const char *name) SSFS_WUR;
void file_tmp_discard(struct file_tmp *t);

/*
 * Replace path with the len bytes at data: file_tmp_open beside it, write
 * all, fsync, rename, then fsync the folder so that the rename survives a
 * crash too. The file has exactly mode; its folder must exist. 0, or -errno
 * with err (NULL: not wanted) "<path>: <step>: <reason>". On failure path
 * is as it was and no temporary file is left, except for -EIO from the
 * folder's fsync: the new file is in place but may not survive a crash. A
 * folder that cannot be opened or synced (EINVAL) is not an error.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, char *err, size_t errlen) SSFS_WUR;

/*
 * Remove the temporary files of file_tmp_open() beside path
 * ("<path>.tmp.*", regular files only) whose mtime is more than max_age_s
 * seconds old: left by a writer killed between create and rename. Best
 * effort, no error.
 */
void file_sweep_temps(const char *path, long max_age_s);

#endif /* SSFS_UTIL_FILE_H */
