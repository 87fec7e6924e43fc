/*
 * The FUSE callbacks: each resolves a path to a node (a folder, a sheet's
 * file, a control file), asks the cache, and returns 0 or a negative errno
 * as libfuse's high-level API wants. The .auth/ control files do their
 * work inside write. Called on libfuse's worker threads (one with -s);
 * fsops_invalidate_sheet also on the prefetch threads.
 */
#include "fs/ops.h"
#include "fs/control_i.h"
#include "fs/change_i.h"
#include "fs/ops_i.h"
#include "fs/write_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fuse.h>
#include <openssl/crypto.h>

#include "auth/auth.h"
#include "cache/cache.h"
#include "cache/prefetch.h"
#include "render/names.h"
#include "util/log.h"
#include "util/sbuf.h"

/* Set from a signal handler, read by every FUSE thread: a lock-free
 * atomic is both async-signal-safe and race-free. */
static atomic_int drop_requested;

void fsops_request_drop(void)
{
	atomic_store(&drop_requested, 1);
}

/*
 * Every open handle, so that those still open when the session ends (the
 * kernel sends RELEASE asynchronously; an unmount can overtake it) are
 * freed in destroy rather than leaked.
 */
static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle *open_handles;

struct handle *fsops_handle_new(void)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (h) {
		h->fd = -1;
		sbuf_init(&h->in, AUTH_WRITE_MAX);
	}
	return h;
}

void fsops_handle_link(struct handle *h)
{
	pthread_mutex_lock(&handles_lock);
	h->next = open_handles;
	if (open_handles)
		open_handles->prev = h;
	open_handles = h;
	pthread_mutex_unlock(&handles_lock);
}

void fsops_handle_free(struct handle *h)
{
	cache_content_put(h->content);
	scratch_put(h->scratch);
	if (h->fd >= 0)
		close(h->fd);
	free(h->text);
	if (h->in.buf)
		OPENSSL_cleanse(h->in.buf, h->in.len);
	sbuf_release(&h->in);
	free(h);
}

static void handle_unlink_free(struct handle *h)
{
	pthread_mutex_lock(&handles_lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		open_handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&handles_lock);
	fsops_handle_free(h);
}

struct fsops_ctx *fsops_ctx_now(void)
{
	return fuse_get_context()->private_data;
}

static struct fsops_ctx *ctx(void)
{
	return fsops_ctx_now();
}

struct cache *fsops_cache(void)
{
	struct fsops_ctx *x = ctx();

	if (atomic_exchange(&drop_requested, 0))
		cache_drop_all(x->cache);
	return x->cache;
}

static bool is_file(enum node_kind k)
{
	return k == NODE_FILE || k == NODE_AUTH_STATUS || k == NODE_AUTH_URL ||
	       k == NODE_AUTH_VERIFIER || k == NODE_AUTH_REFRESH ||
	       k == NODE_STATUS || k == NODE_REJECTED || k == NODE_SCRATCH;
}

/* A folder of sheets (or reports, or the tree): out of reach until a
 * credential is held (SPEC §3). */
static bool needs_credential(enum node_kind k)
{
	return k == NODE_DIR_SHEETS || k == NODE_DIR_BYID ||
	       k == NODE_DIR_REPORTS || k == NODE_DIR_WORKSPACES ||
	       k == NODE_DIR_TREE;
}

static int credential(void)
{
	struct auth *a = ctx()->auth;

	return a && !auth_usable(a) ? -EACCES : 0;
}

static void fill_dir(struct stat *st, time_t t, bool writable)
{
	st->st_mode = S_IFDIR | (writable ? 0755 : 0555);
	st->st_nlink = 2;
	st->st_mtime = st->st_ctime = st->st_atime = t;
}

/* A sheet's or report's file: its size (exact when held; with
 * sizes=exact, after waiting for the content) and mtime. */
static int file_attr(struct fsops_ctx *x, const struct node *n,
		     struct fuse_file_info *fi, struct stat *st)
{
	const struct handle *h =
	    fi ? (const struct handle *)(uintptr_t)fi->fh : NULL;
	int64_t size = -1, mtime = 0;
	int rc;

	/* fstat of an open file: the size of what it reads (an edit: its
	 * text until saved; then, or appending, the sheet's). */
	if (h)
		size = h->edit ? fsw_size(h) : (int64_t)h->len;
	if (h && size >= 0) {
		mtime = h->content ? h->content->mtime_s : 0;
	} else {
		cache_peek(x->cache, &n->ref, n->fmt, &size, &mtime);
		if (size < 0 && x->sizes_exact) {
			/* sizes=exact: wait for the content (SPEC §3). */
			rc = cache_prefetch(x->cache, &n->ref, API_PRIO_USER,
					    true);
			if (rc)
				return rc;
			cache_peek(x->cache, &n->ref, n->fmt, &size, &mtime);
		}
	}
	st->st_mode = S_IFREG | fsw_file_mode(x, n);
	st->st_nlink = 1;
	st->st_size = size < 0 ? 0 : (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	if (n->ref.mtime_s)
		mtime = n->ref.mtime_s;
	if (!mtime)
		mtime = x->mounted_at; /* a report not held yet */
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
	return 0;
}

/*
 * fstat of an open file whose name is gone (replaced by a rename, or a
 * removed scratch file: hard_remove), where libfuse passes no path.
 */
static int handle_attr(struct fsops_ctx *x, struct handle *h, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (h->scratch) {
		scratch_stat(h->scratch, st);
	} else {
		st->st_mode = S_IFREG | (h->edit ? 0644 : 0444);
		st->st_size = h->edit ? (off_t)fsw_size(h) : (off_t)h->len;
		if (st->st_size < 0)
			st->st_size = 0;
		st->st_mtime = st->st_ctime = st->st_atime =
		    h->content ? (time_t)h->content->mtime_s : x->mounted_at;
	}
	st->st_uid = getuid();
	st->st_gid = getgid();
	return 0;
}

static int fsops_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	struct fsops_ctx *x = ctx();
	struct node n;
	int64_t size;
	int rc;

	if (!path)
		return fi && fi->fh
			   ? handle_attr(x, (struct handle *)(uintptr_t)fi->fh,
					 st)
			   : -ESTALE;
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	switch (n.kind) {
	case NODE_ROOT:
	case NODE_DIR_SHEETS:
	case NODE_DIR_BYID:
	case NODE_DIR_REPORTS:
	case NODE_DIR_WORKSPACES:
	case NODE_DIR_TREE:
	case NODE_DIR_AUTH:
		fill_dir(st, x->mounted_at, fsw_dir_writable(x, n.kind));
		break;
	case NODE_STATUS:
	case NODE_DIR_REJECTED:
	case NODE_REJECTED:
		rc = rejected_getattr(x, &n, st);
		break;
	case NODE_SCRATCH:
		rc = fsops_scratch_attr(path, fi, st);
		break;
	case NODE_AUTH_STATUS:
	case NODE_AUTH_URL:
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_mtime = st->st_ctime = st->st_atime = time(NULL);
		/* Its exact size: the text an open right after serves. */
		rc = control_size(x, n.kind, &size);
		if (!rc)
			st->st_size = (off_t)size;
		break;
	case NODE_AUTH_VERIFIER:
	case NODE_AUTH_REFRESH:
		/* Write-only, and only for the mounting user. */
		st->st_mode = S_IFREG | 0200;
		st->st_nlink = 1;
		st->st_mtime = st->st_ctime = st->st_atime = x->mounted_at;
		break;
	case NODE_FILE:
		rc = file_attr(x, &n, fi, st);
		break;
	}
	fsops_node_release(&n);
	return rc;
}

/* One entry of a listing into a READDIR answer: a folder's name, or a
 * file's name with each extension shown. Nonzero when the buffer is
 * full. */
static int fill_entry(struct fsops_ctx *x, void *buf, fuse_fill_dir_t filler,
		      const struct cache_item *it, bool by_id)
{
	char name[NAME_MAX + 32];
	int f;

	if (it->kind == MODEL_KIND_FOLDER || it->kind == MODEL_KIND_WORKSPACE)
		return filler(buf, it->stem, NULL, 0, 0);
	for (f = 0; f < RENDER_FMT_COUNT; f++) {
		const char *ext = render_fmt_ext((enum render_fmt)f);

		if (!fsops_fmt_shown(x, f))
			continue;
		if (by_id)
			snprintf(name, sizeof(name), "%" PRId64 ".%s", it->id,
				 ext);
		else
			snprintf(name, sizeof(name), "%s.%s", it->stem, ext);
		if (filler(buf, name, NULL, 0, 0))
			return 1;
	}
	return 0;
}

/* The entries of one folder's listing (dir, dir_id). */
static int list_dir(void *buf, fuse_fill_dir_t filler, enum cache_dir dir,
		    int64_t dir_id, bool by_id)
{
	struct fsops_ctx *x = ctx();
	struct cache_listing *l = NULL;
	size_t i;
	int rc;

	rc = cache_get_dir(fsops_cache(), dir, dir_id, API_PRIO_USER, &l);
	/* A folder of the whole account exists: a 404 for its list is a
	 * server failure (the kernel would take ENOENT from READDIR as an
	 * empty folder). A folder in the tree gone on the server: ENOENT. */
	if (rc == -ENOENT && (dir == CACHE_DIR_SHEETS ||
			      dir == CACHE_DIR_REPORTS ||
			      dir == CACHE_DIR_WORKSPACES))
		rc = -EIO;
	if (rc)
		return rc;
	/* sizes=exact: every file of the folder fetched, several at once,
	 * before the names go out (the stats that follow find them held,
	 * and a sheet the server refuses is known and left out). */
	if (x->sizes_exact)
		(void)prefetch_exact(x->prefetch, l);
	for (i = 0; i < l->count; i++) {
		const struct cache_item *it = &l->items[i];
		struct cache_ref ref = {it->id, it->kind == MODEL_KIND_REPORT,
					it->mtime_s};

		if ((it->kind == MODEL_KIND_SHEET ||
		     it->kind == MODEL_KIND_REPORT) &&
		    cache_refused(x->cache, &ref))
			continue; /* SPEC §3: out of listings */
		if (fill_entry(x, buf, filler, it, by_id))
			break;
	}
	cache_put_listing(fsops_cache(), l);
	return 0;
}

/* A name into a READDIR answer, for the write-back files' lists. */
struct filling {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fill_name(void *arg, const char *name)
{
	struct filling *f = arg;

	return f->filler(f->buf, name, NULL, 0, 0);
}

static int fsops_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			 off_t off, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	struct filling fill = {buf, filler};
	struct node n;
	int rc = 0;

	(void)off;
	(void)fi;
	(void)flags;
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	if (is_file(n.kind)) {
		fsops_node_release(&n);
		return -ENOTDIR;
	}
	if (needs_credential(n.kind)) {
		rc = credential();
		if (rc) {
			fsops_node_release(&n);
			return rc;
		}
	}
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	switch (n.kind) {
	case NODE_ROOT:
		filler(buf, "sheets", NULL, 0, 0);
		filler(buf, "by-id", NULL, 0, 0);
		filler(buf, "reports", NULL, 0, 0);
		filler(buf, "workspaces", NULL, 0, 0);
		filler(buf, ".auth", NULL, 0, 0);
		if (ctx()->write) {
			filler(buf, ".status", NULL, 0, 0);
			filler(buf, ".rejected", NULL, 0, 0);
		}
		break;
	case NODE_DIR_REJECTED:
		rc = rejected_readdir(ctx(), &fill, fill_name);
		break;
	case NODE_DIR_AUTH:
		filler(buf, "status", NULL, 0, 0);
		if (auth_is_oauth(ctx()->auth)) {
			filler(buf, "url", NULL, 0, 0);
			filler(buf, "verifier", NULL, 0, 0);
			filler(buf, "refresh", NULL, 0, 0);
		}
		break;
	case NODE_DIR_SHEETS:
		rc = list_dir(buf, filler, CACHE_DIR_SHEETS, 0, false);
		break;
	case NODE_DIR_BYID:
		/* The sheets' failure is the folder's; the reports' (offline
		 * before they were ever listed, a token that may not list
		 * them: logged where it happened) leaves the sheets shown. */
		rc = list_dir(buf, filler, CACHE_DIR_SHEETS, 0, true);
		if (!rc)
			(void)list_dir(buf, filler, CACHE_DIR_REPORTS, 0, true);
		break;
	case NODE_DIR_REPORTS:
		rc = list_dir(buf, filler, CACHE_DIR_REPORTS, 0, false);
		break;
	case NODE_DIR_WORKSPACES:
		rc = list_dir(buf, filler, CACHE_DIR_WORKSPACES, 0, false);
		break;
	case NODE_DIR_TREE:
		rc = list_dir(buf, filler, n.dir, n.dir_id, false);
		break;
	default:
		rc = -ENOTDIR;
		break;
	}
	/* The scratch files of a writable folder (SPEC §8). */
	if (!rc && fsw_dir_writable(ctx(), n.kind))
		scratch_list(path, &fill, fill_name);
	fsops_node_release(&n);
	return rc;
}

/* The file of a sheet or report for an open: its content, and read-ahead
 * told where in its folder the reader is. */
static int open_file(struct fsops_ctx *x, const struct node *n,
		     struct handle *h, struct fuse_file_info *fi)
{
	bool keep = false, direct = false;
	int rc;

	if (n->l)
		prefetch_opened(x->prefetch, n->l, n->idx);
	rc = cache_open(fsops_cache(), &n->ref, n->fmt, &h->content, &keep,
			&direct);
	if (rc)
		return rc;
	h->len = h->content->len;
	fi->keep_cache = keep;
	fi->direct_io = direct;
	return 0;
}

/* What the open of a file of kind n->kind fills h with. */
static int open_kind(struct fsops_ctx *x, const char *path,
		     const struct node *n, struct handle *h,
		     struct fuse_file_info *fi)
{
	struct sbuf sb = SBUF_INIT(1 << 20);
	bool wr = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	int rc;

	switch (n->kind) {
	case NODE_AUTH_VERIFIER:
	case NODE_AUTH_REFRESH:
		if ((fi->flags & O_ACCMODE) != O_WRONLY)
			return -EACCES;
		fi->direct_io = 1;
		return control_may_write();
	case NODE_STATUS:
	case NODE_REJECTED:
		return rejected_open(x, n, h, fi);
	case NODE_SCRATCH:
		return fsops_scratch_open(x, path, h, fi);
	case NODE_FILE:
		if (wr)
			return fsw_open(x, path, n, h, fi);
		return open_file(x, n, h, fi);
	default:
		if (wr)
			return -EROFS;
		/* .auth/status, .auth/url */
		rc = control_text(x, n->kind, &sb);
		if (rc)
			return rc;
		h->text = sbuf_detach(&sb, &h->len);
		fi->direct_io = 1;
		return 0;
	}
}

static int fsops_open(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = NULL;
	struct node n;
	int rc;

	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	if (!is_file(n.kind)) {
		rc = -EISDIR;
		goto out;
	}
	h = fsops_handle_new();
	if (!h) {
		rc = -ENOMEM;
		goto out;
	}
	h->kind = n.kind;
	rc = open_kind(ctx(), path, &n, h, fi);
	if (rc) {
		fsops_handle_free(h);
		goto out;
	}
	fsops_handle_link(h);
	fi->fh = (uint64_t)(uintptr_t)h;
out:
	fsops_node_release(&n);
	return rc;
}

static int fsops_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	const char *data;
	size_t n;

	(void)path;
	if (h->edit)
		return fsw_read(h, buf, size, off);
	if (h->scratch)
		return scratch_read(h->scratch, buf, size, off);
	if (h->fd >= 0)
		return rejected_read(h, buf, size, off);
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= h->len)
		return 0;
	data = h->content ? h->content->data : h->text;
	n = h->len - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, data + off, n);
	return (int)n;
}

static int fsops_release(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)path;
	if (h) {
		fsw_release(h);
		handle_unlink_free(h);
	}
	return 0;
}

static int fsops_opendir(const char *path, struct fuse_file_info *fi)
{
	struct node n;
	int rc;

	(void)fi;
	rc = fsops_resolve(path, &n);
	if (rc)
		return rc;
	if (is_file(n.kind))
		rc = -ENOTDIR;
	else if (needs_credential(n.kind))
		rc = credential();
	fsops_node_release(&n);
	return rc;
}

static int fsops_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_namemax = 255;
	return 0;
}

/*
 * Safe from the prefetch threads, and from an open of the same file
 * (libfuse: open is not among the operations that must not notify) as long
 * as other threads can serve a read the kernel waits on; with -s, only the
 * prefetch threads notify.
 */
void fsops_invalidate_sheet(struct fsops_ctx *x, int64_t id)
{
	struct cache_listing *l;
	const struct cache_item *it;
	char path[PATH_MAX + NAME_MAX], stem_path[PATH_MAX];
	const char *dir = SHEETS_DIR;
	bool tree;
	int f;

	/* With -s, a FUSE callback (it has a context; the prefetch
	 * threads have none: fuse_get_context() is NULL there) must not
	 * wait on the kernel that waits on it. */
	if (x->single_thread) {
		const struct fuse_context *fc = fuse_get_context();

		if (fc && fc->fuse)
			return;
	}
	if (!x->fuse)
		return;
	l = cache_listing_now(x->cache);
	it = l ? cache_find_id(l, id) : NULL;
	if (!it) {
		/* A report's: its files in reports/. */
		cache_put_listing(x->cache, l);
		l = cache_reports_now(x->cache);
		it = l ? cache_find_id(l, id) : NULL;
		dir = REPORTS_DIR;
	}
	/* Its files in the tree too, where a lookup last found them. */
	tree = fsops_tree_path(id, stem_path, sizeof(stem_path));
	for (f = 0; f < RENDER_FMT_COUNT; f++) {
		const char *ext = render_fmt_ext((enum render_fmt)f);

		if (!fsops_fmt_shown(x, f))
			continue;
		if (it) {
			snprintf(path, sizeof(path), "%s/%s.%s", dir, it->stem,
				 ext);
			(void)fuse_invalidate_path(x->fuse, path);
		}
		snprintf(path, sizeof(path), BYID_DIR "/%" PRId64 ".%s", id,
			 ext);
		(void)fuse_invalidate_path(x->fuse, path);
		if (tree) {
			snprintf(path, sizeof(path), "%s.%s", stem_path, ext);
			(void)fuse_invalidate_path(x->fuse, path);
		}
	}
	cache_put_listing(x->cache, l);
}

static void *fsops_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fsops_ctx *x = fuse_get_context()->private_data;
	double t = (double)x->ttl_s;

	(void)conn;
	/* The kernel may keep names and attributes as long as we keep the
	 * list; sizes it must not trust are handled at open (direct_io). */
	cfg->entry_timeout = t;
	cfg->attr_timeout = t;
	cfg->negative_timeout = t;
	cfg->use_ino = 0;
	/* A file removed or replaced while open keeps a hidden name
	 * (.fuse_hidden...), so that fstat on it still works: for a sheet's
	 * file fs/nodes.c remembers what the name stands for. */
	cfg->hard_remove = 0;
	return x;
}

/* The session ended: free what the kernel never released. */
static void fsops_destroy(void *private_data)
{
	struct fsops_ctx *x = private_data;
	struct handle *h, *next;

	control_release();
	fsops_tree_paths_release();
	fsops_hidden_release();
	pthread_mutex_lock(&handles_lock);
	h = open_handles;
	open_handles = NULL;
	pthread_mutex_unlock(&handles_lock);
	for (; h; h = next) {
		next = h->next;
		fsw_abandon(x, h);
		fsops_handle_free(h);
	}
	scratch_release_all();
}

/*
 * Files are always ready, as on a disk. Without this op libfuse 3.14's
 * high-level layer leaks the poll handle it allocated for a poll that asks
 * to be notified (Go programs such as Miller poll every file they open);
 * the handle is ours to destroy, and nothing will ever notify it.
 */
static int fsops_poll(const char *path, struct fuse_file_info *fi,
		      struct fuse_pollhandle *ph, unsigned *reventsp)
{
	(void)path;
	(void)fi;
	if (ph)
		fuse_pollhandle_destroy(ph);
	*reventsp |= POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
	return 0;
}

static const struct fuse_operations ops = {
    .init = fsops_init,
    .destroy = fsops_destroy,
    .getattr = fsops_getattr,
    .readdir = fsops_readdir,
    .opendir = fsops_opendir,
    .open = fsops_open,
    .read = fsops_read,
    .release = fsops_release,
    .statfs = fsops_statfs,
    .poll = fsops_poll,
    .write = fsops_write,
    .flush = fsops_flush,
    .fsync = fsops_fsync,
    .create = fsops_create,
    .mknod = NULL,
    .mkdir = fsops_mkdir,
    .unlink = fsops_unlink,
    .rmdir = fsops_rmdir,
    .symlink = fsops_symlink,
    .link = fsops_link,
    .rename = fsops_rename,
    .truncate = fsops_truncate,
    .chmod = fsops_chmod,
    .chown = fsops_chown,
    .utimens = fsops_utimens,
    .getxattr = fsops_getxattr,
    .listxattr = fsops_listxattr,
    .setxattr = fsops_setxattr,
    .removexattr = fsops_removexattr,
};

const struct fuse_operations *fsops_table(void)
{
	return &ops;
}
