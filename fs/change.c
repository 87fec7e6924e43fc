/*
 * The FUSE callbacks that change something: writes, close and fsync,
 * create, unlink, rename, truncate and the other setattrs, and the ops a
 * mount of sheets does not support. Without -o write each is EROFS (but
 * the writes to .auth/); with it (SPEC §8) only the mounting user or root
 * may change anything, sheet files take edits and appends (fs/write.c),
 * scratch files live in memory (fs/scratch.c) and .rejected/ files may be
 * removed (fs/rejected.c). libfuse's worker threads.
 */
#include "fs/change_i.h"
#include "fs/control_i.h"
#include "fs/ops_i.h"
#include "fs/write_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fuse.h>

#include "fs/ops.h"

static struct handle *fh(const struct fuse_file_info *fi)
{
	return fi ? (struct handle *)(uintptr_t)fi->fh : NULL;
}

static bool auth_writable(enum node_kind k)
{
	return k == NODE_AUTH_VERIFIER || k == NODE_AUTH_REFRESH;
}

int fsops_write(const char *path, const char *buf, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct handle *h = fh(fi);

	(void)path;
	if (!h)
		return -EBADF;
	/* Checked at open too; a descriptor handed to another user (a
	 * setuid helper, SCM_RIGHTS) must not carry the right along. */
	if ((auth_writable(h->kind) || h->edit || h->scratch) &&
	    control_may_write())
		return -EACCES;
	if (auth_writable(h->kind))
		return control_write(fsops_ctx_now(), h, buf, size);
	if (h->edit)
		return fsw_write(h, buf, size, off);
	if (h->scratch)
		return scratch_write(h->scratch, buf, size, off,
				     fsops_ctx_now()->scratch_max);
	return -EROFS;
}

/* close(): an edit's save happens here, so that close() reports it. */
int fsops_flush(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = fh(fi);

	(void)path;
	return h && h->edit ? fsw_flush(h) : 0;
}

int fsops_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	return fsops_flush(path, fi);
}

/* The folder of path ("/sheets/x" -> "/sheets"): its kind, or -errno. */
static int parent_kind(const char *path, enum node_kind *kind)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct node n;
	int rc;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -ENOENT;
	if (slash == path) {
		*kind = NODE_ROOT;
		return 0;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	rc = fsops_resolve(dir, &n);
	if (rc)
		return rc;
	*kind = n.kind;
	fsops_node_release(&n);
	return 0;
}

/* 0 when a scratch file may be made at path (its folder takes them). */
static int scratch_place(struct fsops_ctx *x, const char *path)
{
	enum node_kind k;
	int rc = parent_kind(path, &k);

	if (rc)
		return rc;
	return fsw_dir_writable(x, k) ? 0 : -EACCES;
}

int fsops_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fsops_ctx *x = fsops_ctx_now();
	struct handle *h;
	int rc;

	rc = fsw_may_change(x);
	if (!rc)
		rc = scratch_place(x, path);
	if (rc)
		return rc;
	h = fsops_handle_new();
	if (!h)
		return -ENOMEM;
	h->kind = NODE_SCRATCH;
	rc = scratch_create(path, mode, &h->scratch);
	if (rc) {
		fsops_handle_free(h);
		return rc;
	}
	fsops_handle_link(h);
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

int fsops_scratch_attr(const char *path, struct fuse_file_info *fi,
		       struct stat *st)
{
	struct handle *h = fh(fi);
	struct scratch *s = NULL;
	int rc;

	if (h && h->scratch) {
		scratch_stat(h->scratch, st);
		return 0;
	}
	rc = scratch_get(path, &s);
	if (rc)
		return rc;
	scratch_stat(s, st);
	scratch_put(s);
	return 0;
}

int fsops_scratch_open(struct fsops_ctx *x, const char *path, struct handle *h,
		       struct fuse_file_info *fi)
{
	int rc = 0;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		rc = fsw_may_change(x);
	if (!rc)
		rc = scratch_get(path, &h->scratch);
	if (!rc && (fi->flags & O_TRUNC))
		rc = scratch_truncate(h->scratch, 0, x->scratch_max);
	return rc;
}

/* What a mount of sheets never does: EROFS, or EPERM with -o write. */
static int unsupported(void)
{
	int rc = fsw_may_change(fsops_ctx_now());

	return rc ? rc : -EPERM;
}

int fsops_mkdir(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return unsupported();
}

int fsops_rmdir(const char *path)
{
	(void)path;
	return unsupported();
}

int fsops_symlink(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return unsupported();
}

int fsops_link(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return unsupported();
}

int fsops_unlink(const char *path)
{
	struct fsops_ctx *x = fsops_ctx_now();
	struct node n;
	int rc;

	rc = fsw_may_change(x);
	if (rc)
		return rc;
	if (fsops_is_hidden_name(path) && fsops_hidden_drop(path))
		return 0; /* the last close of a replaced sheet file */
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	if (n.kind == NODE_SCRATCH)
		rc = scratch_unlink(path);
	else if (n.kind == NODE_REJECTED)
		rc = rejected_unlink(x, &n);
	else
		rc = -EPERM; /* a sheet is not deleted through its file */
	fsops_node_release(&n);
	return rc;
}

/*
 * rename(2) with -o write: a scratch file may move to another name of a
 * writable folder (replacing a scratch file there), or over a sheet's
 * file, which saves its text to the sheet (editors and `sed -i` write a
 * temporary file, then rename it). A sheet's file does not move: EXDEV,
 * so that mv and editors fall back to copying it.
 */
int fsops_rename(const char *from, const char *to, unsigned int flags)
{
	struct fsops_ctx *x = fsops_ctx_now();
	struct node src, dst;
	int rc;

	rc = fsw_may_change(x);
	if (rc)
		return rc;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	rc = fsops_resolve(from, &src);
	if (rc)
		return rc;
	fsops_node_release(&src);
	/* libfuse hiding an open sheet file that is being replaced. */
	if (src.kind == NODE_FILE && fsops_is_hidden_name(to) &&
	    !scratch_exists(to))
		return fsops_hide(to, &src);
	if (src.kind == NODE_FILE)
		return -EXDEV;
	if (src.kind != NODE_SCRATCH)
		return -EPERM;
	rc = fsops_resolve(to, &dst);
	if (rc == -ENOENT) {
		rc = scratch_place(x, to);
		return rc ? rc : scratch_rename(from, to);
	}
	if (rc)
		return rc;
	if (flags & RENAME_NOREPLACE)
		rc = -EEXIST;
	else if (dst.kind == NODE_SCRATCH)
		rc = scratch_rename(from, to);
	else if (dst.kind == NODE_FILE)
		rc = fsw_save_scratch(x, from, to, &dst);
	else
		rc = -EPERM;
	fsops_node_release(&dst);
	return rc;
}

int fsops_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fsops_ctx *x = fsops_ctx_now();
	struct handle *h = fh(fi);
	struct node n;
	int rc;

	/* `echo CODE > .auth/verifier` opens with O_TRUNC: nothing to cut. */
	if (path && (strcmp(path, AUTH_VERIFIER) == 0 ||
		     strcmp(path, AUTH_REFRESH) == 0)) {
		if (control_may_write())
			return -EACCES;
		return size == 0 ? 0 : -EROFS;
	}
	rc = fsw_may_change(x);
	if (rc)
		return rc;
	if (h && h->edit)
		return fsw_ftruncate(h, size);
	if (h && h->scratch)
		return scratch_truncate(h->scratch, size, x->scratch_max);
	if (!path)
		return -ESTALE; /* an open file whose name is gone */
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	if (n.kind == NODE_SCRATCH) {
		struct scratch *s = NULL;

		rc = scratch_get(path, &s);
		if (!rc)
			rc = scratch_truncate(s, size, x->scratch_max);
		scratch_put(s);
	} else if (n.kind == NODE_FILE) {
		/* Without an open handle there is nothing to write after
		 * the cut: an empty text is refused (SPEC §8). */
		rc = fsw_file_writable(x, &n);
		if (!rc)
			rc = -EINVAL;
	} else {
		rc = -EPERM;
	}
	fsops_node_release(&n);
	return rc;
}

/* A setattr other than the size: the scratch file it names (its handle's
 * or its path's) gets f applied; a sheet's file accepts it unchanged. */
static int set_attr(const char *path, struct fuse_file_info *fi,
		    void (*f)(struct scratch *s, const void *arg),
		    const void *arg)
{
	struct fsops_ctx *x = fsops_ctx_now();
	struct handle *h = fh(fi);
	struct scratch *s = NULL;
	struct node n;
	int rc;

	rc = fsw_may_change(x);
	if (rc)
		return rc;
	if (h && h->scratch) {
		f(h->scratch, arg);
		return 0;
	}
	if (!path)
		return h ? 0 : -ESTALE; /* a sheet's file replaced while open */
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	if (n.kind == NODE_SCRATCH) {
		rc = scratch_get(path, &s);
		if (!rc)
			f(s, arg);
		scratch_put(s);
	} else if (n.kind != NODE_FILE) {
		rc = -EPERM;
	}
	fsops_node_release(&n);
	return rc;
}

static void do_chmod(struct scratch *s, const void *arg)
{
	scratch_chmod(s, *(const mode_t *)arg);
}

int fsops_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return set_attr(path, fi, do_chmod, &mode);
}

static void do_touch(struct scratch *s, const void *arg)
{
	scratch_touch(s, arg);
}

int fsops_utimens(const char *path, const struct timespec tv[2],
		  struct fuse_file_info *fi)
{
	return set_attr(path, fi, do_touch, tv);
}

static void do_nothing(struct scratch *s, const void *arg)
{
	(void)s;
	(void)arg;
}

/* Files belong to the mounting user: a chown to that user (sed -i and
 * vim do it to their new files) is accepted; to anyone else, EPERM. */
int fsops_chown(const char *path, uid_t uid, gid_t gid,
		struct fuse_file_info *fi)
{
	int rc = fsw_may_change(fsops_ctx_now());

	if (rc)
		return rc;
	if ((uid != (uid_t)-1 && uid != getuid()) ||
	    (gid != (gid_t)-1 && gid != getgid()))
		return -EPERM;
	return set_attr(path, fi, do_nothing, NULL);
}

/* Extended attributes are read-only (SPEC §7); with -o write, tools that
 * copy them (sed -i, vim) are told they are not supported. */
int fsops_setxattr(const char *path, const char *name, const char *value,
		   size_t size, int flags)
{
	int rc = fsw_may_change(fsops_ctx_now());

	(void)path;
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	return rc ? rc : -ENOTSUP;
}

int fsops_removexattr(const char *path, const char *name)
{
	int rc = fsw_may_change(fsops_ctx_now());

	(void)path;
	(void)name;
	return rc ? rc : -ENOTSUP;
}
