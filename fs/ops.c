/*
 * The FUSE callbacks: each resolves a path to a node (a folder, a sheet's
 * file, a control file), asks the cache, and returns 0 or a negative errno
 * as libfuse's high-level API wants. The .auth/ control files do their
 * work inside write. Called on libfuse's worker threads (one with -s);
 * fsops_invalidate_sheet also on the prefetch threads.
 */
#include "fs/ops.h"
#include "fs/control_i.h"
#include "fs/ops_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

static void handle_link(struct handle *h)
{
	pthread_mutex_lock(&handles_lock);
	h->next = open_handles;
	if (open_handles)
		open_handles->prev = h;
	open_handles = h;
	pthread_mutex_unlock(&handles_lock);
}

static void handle_free(struct handle *h)
{
	cache_content_put(h->content);
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
	handle_free(h);
}

static struct fsops_ctx *ctx(void)
{
	return fuse_get_context()->private_data;
}

static struct cache *the_cache(void)
{
	struct fsops_ctx *x = ctx();

	if (atomic_exchange(&drop_requested, 0))
		cache_drop_all(x->cache);
	return x->cache;
}

/* Whether this mount shows files of format f (.ndjson with -o ndjson). */
static bool fmt_shown(const struct fsops_ctx *x, int f)
{
	return f != RENDER_FMT_NDJSON || x->ndjson;
}

/* "name.csv" -> stem length and format; false for other extensions. */
static bool split_ext(const char *name, size_t *stem_len, enum render_fmt *fmt)
{
	size_t n = strlen(name), e;
	int f;

	for (f = 0; f < RENDER_FMT_COUNT; f++) {
		const char *ext = render_fmt_ext((enum render_fmt)f);

		e = strlen(ext);
		if (!fmt_shown(ctx(), f) || n <= e + 1 ||
		    name[n - e - 1] != '.' || strcmp(name + n - e, ext) != 0)
			continue;
		*stem_len = n - e - 1;
		*fmt = (enum render_fmt)f;
		return true;
	}
	return false;
}


static bool is_auth_writable(enum node_kind k)
{
	return k == NODE_AUTH_VERIFIER || k == NODE_AUTH_REFRESH;
}

/* Until a credential is held, the sheets are out of reach (SPEC §3). */
static int need_credential(void)
{
	struct auth *a = ctx()->auth;

	return a && !auth_usable(a) ? -EACCES : 0;
}

static bool is_file(enum node_kind k)
{
	return k == NODE_SHEET || k == NODE_AUTH_STATUS || k == NODE_AUTH_URL ||
	       k == NODE_AUTH_VERIFIER || k == NODE_AUTH_REFRESH;
}

static int resolve_sheet(const char *name, bool by_id, struct node *n)
{
	struct cache_listing *l = NULL;
	const struct cache_item *it;
	char stem[NAME_MAX + 1];
	size_t len;
	int rc;

	rc = need_credential();
	if (rc)
		return rc;
	if (!split_ext(name, &len, &n->fmt) || len > NAME_MAX)
		return -ENOENT;
	memcpy(stem, name, len);
	stem[len] = '\0';
	rc = cache_get_listing(the_cache(), API_PRIO_USER, &l);
	if (rc)
		return rc;
	if (by_id) {
		int64_t id;

		it = names_parse_id(stem, len, &id) == 0 ? cache_find_id(l, id)
							 : NULL;
	} else {
		it = cache_find_stem(l, stem);
	}
	if (it) {
		n->kind = NODE_SHEET;
		n->id = it->id;
		n->mtime_s = it->mtime_s;
	} else {
		rc = -ENOENT;
	}
	cache_put_listing(the_cache(), l);
	return rc;
}

static int resolve(const char *path, struct node *n)
{
	memset(n, 0, sizeof(*n));
	if (strcmp(path, "/") == 0) {
		n->kind = NODE_ROOT;
		return 0;
	}
	if (strcmp(path, SHEETS_DIR) == 0) {
		n->kind = NODE_DIR_SHEETS;
		return 0;
	}
	if (strcmp(path, BYID_DIR) == 0) {
		n->kind = NODE_DIR_BYID;
		return 0;
	}
	if (strcmp(path, AUTH_DIR) == 0) {
		n->kind = NODE_DIR_AUTH;
		return 0;
	}
	if (strcmp(path, AUTH_STATUS) == 0) {
		n->kind = NODE_AUTH_STATUS;
		return 0;
	}
	if (ctx()->auth && auth_is_oauth(ctx()->auth)) {
		if (strcmp(path, AUTH_URL) == 0) {
			n->kind = NODE_AUTH_URL;
			return 0;
		}
		if (strcmp(path, AUTH_VERIFIER) == 0) {
			n->kind = NODE_AUTH_VERIFIER;
			return 0;
		}
		if (strcmp(path, AUTH_REFRESH) == 0) {
			n->kind = NODE_AUTH_REFRESH;
			return 0;
		}
	}
	if (strncmp(path, SHEETS_DIR "/", sizeof(SHEETS_DIR)) == 0 &&
	    !strchr(path + sizeof(SHEETS_DIR), '/'))
		return resolve_sheet(path + sizeof(SHEETS_DIR), false, n);
	if (strncmp(path, BYID_DIR "/", sizeof(BYID_DIR)) == 0 &&
	    !strchr(path + sizeof(BYID_DIR), '/'))
		return resolve_sheet(path + sizeof(BYID_DIR), true, n);
	return -ENOENT;
}

static void fill_dir(struct stat *st, time_t t)
{
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	st->st_mtime = st->st_ctime = st->st_atime = t;
}

static int fsops_getattr(const char *path, struct stat *st,
			 struct fuse_file_info *fi)
{
	struct fsops_ctx *x = ctx();
	struct node n;
	int64_t size, mtime = 0;
	int rc;

	rc = resolve(path, &n);
	if (rc)
		return rc;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	switch (n.kind) {
	case NODE_ROOT:
	case NODE_DIR_SHEETS:
	case NODE_DIR_BYID:
	case NODE_DIR_AUTH:
		fill_dir(st, x->mounted_at);
		return 0;
	case NODE_AUTH_STATUS:
	case NODE_AUTH_URL:
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_mtime = st->st_ctime = st->st_atime = time(NULL);
		/* Its exact size: the text an open right after serves. */
		rc = control_size(x, n.kind, &size);
		if (rc)
			return rc;
		st->st_size = (off_t)size;
		return 0;
	case NODE_AUTH_VERIFIER:
	case NODE_AUTH_REFRESH:
		/* Write-only, and only for the mounting user. */
		st->st_mode = S_IFREG | 0200;
		st->st_nlink = 1;
		st->st_mtime = st->st_ctime = st->st_atime = x->mounted_at;
		return 0;
	case NODE_SHEET:
		break;
	}
	if (fi && fi->fh) {
		/* fstat of an open file: the size of what it reads. */
		const struct handle *h =
		    (const struct handle *)(uintptr_t)fi->fh;

		size = (int64_t)h->len;
		mtime = h->content ? h->content->mtime_s : 0;
	} else {
		cache_peek(x->cache, n.id, n.fmt, n.mtime_s, &size, &mtime);
		if (size < 0 && x->sizes_exact) {
			/* sizes=exact: wait for the content (SPEC §3). */
			rc = cache_prefetch(x->cache, n.id, n.mtime_s,
					    API_PRIO_USER, true);
			if (rc)
				return rc;
			cache_peek(x->cache, n.id, n.fmt, n.mtime_s, &size,
				   &mtime);
		}
	}
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = size < 0 ? 0 : (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	if (n.mtime_s)
		mtime = n.mtime_s;
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
	return 0;
}

static int list_sheets(void *buf, fuse_fill_dir_t filler, bool by_id)
{
	struct fsops_ctx *x = ctx();
	struct cache_listing *l = NULL;
	char name[NAME_MAX + 32];
	size_t i;
	int rc, f;

	rc = cache_get_listing(the_cache(), API_PRIO_USER, &l);
	/* The folder exists: a 404 for the list is a server failure (and the
	 * kernel would take ENOENT from READDIR as an empty folder). */
	if (rc == -ENOENT)
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

		if (cache_refused(x->cache, it->id, it->mtime_s))
			continue; /* SPEC §3: out of listings */
		for (f = 0; f < RENDER_FMT_COUNT; f++) {
			const char *ext = render_fmt_ext((enum render_fmt)f);

			if (!fmt_shown(x, f))
				continue;
			if (by_id)
				snprintf(name, sizeof(name), "%" PRId64 ".%s",
					 it->id, ext);
			else
				snprintf(name, sizeof(name), "%s.%s", it->stem,
					 ext);
			if (filler(buf, name, NULL, 0, 0))
				goto out;
		}
	}
out:
	cache_put_listing(the_cache(), l);
	return 0;
}

static int fsops_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
			 off_t off, struct fuse_file_info *fi,
			 enum fuse_readdir_flags flags)
{
	struct node n;
	int rc;

	(void)off;
	(void)fi;
	(void)flags;
	rc = resolve(path, &n);
	if (rc)
		return rc;
	if (is_file(n.kind))
		return -ENOTDIR;
	if (n.kind == NODE_DIR_SHEETS || n.kind == NODE_DIR_BYID) {
		rc = need_credential();
		if (rc)
			return rc;
	}
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	switch (n.kind) {
	case NODE_ROOT:
		filler(buf, "sheets", NULL, 0, 0);
		filler(buf, "by-id", NULL, 0, 0);
		filler(buf, ".auth", NULL, 0, 0);
		return 0;
	case NODE_DIR_AUTH:
		filler(buf, "status", NULL, 0, 0);
		if (auth_is_oauth(ctx()->auth)) {
			filler(buf, "url", NULL, 0, 0);
			filler(buf, "verifier", NULL, 0, 0);
			filler(buf, "refresh", NULL, 0, 0);
		}
		return 0;
	case NODE_DIR_SHEETS:
		return list_sheets(buf, filler, false);
	case NODE_DIR_BYID:
		return list_sheets(buf, filler, true);
	default:
		return -ENOTDIR;
	}
}

static int fsops_open(const char *path, struct fuse_file_info *fi)
{
	struct fsops_ctx *x = ctx();
	struct sbuf sb = SBUF_INIT(1 << 20);
	struct handle *h;
	struct node n;
	bool keep = false, direct = false;
	int rc;

	rc = resolve(path, &n);
	if (rc)
		return rc;
	if (!is_file(n.kind))
		return -EISDIR;
	if (is_auth_writable(n.kind)) {
		if ((fi->flags & O_ACCMODE) != O_WRONLY)
			return -EACCES;
		rc = control_may_write();
		if (rc)
			return rc;
	} else if ((fi->flags & O_ACCMODE) != O_RDONLY ||
		   (fi->flags & O_TRUNC)) {
		return -EROFS;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->kind = n.kind;
	sbuf_init(&h->in, AUTH_WRITE_MAX);
	if (n.kind == NODE_AUTH_VERIFIER || n.kind == NODE_AUTH_REFRESH) {
		fi->direct_io = 1;
	} else if (n.kind == NODE_AUTH_STATUS || n.kind == NODE_AUTH_URL) {
		rc = control_text(x, n.kind, &sb);
		if (rc) {
			free(h);
			return rc;
		}
		h->text = sbuf_detach(&sb, &h->len);
		fi->direct_io = 1;
	} else {
		rc = cache_open(the_cache(), n.id, n.fmt, n.mtime_s,
				&h->content, &keep,
				&direct);
		if (rc) {
			free(h);
			return rc;
		}
		h->len = h->content->len;
		fi->keep_cache = keep;
		fi->direct_io = direct;
	}
	handle_link(h);
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

static int fsops_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	const char *data;
	size_t n;

	(void)path;
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
	if (h)
		handle_unlink_free(h);
	return 0;
}

static int fsops_opendir(const char *path, struct fuse_file_info *fi)
{
	struct node n;
	int rc;

	(void)fi;
	rc = resolve(path, &n);
	if (rc)
		return rc;
	if (is_file(n.kind))
		return -ENOTDIR;
	if (n.kind == NODE_DIR_SHEETS || n.kind == NODE_DIR_BYID)
		return need_credential();
	return 0;
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

/* Everything that would change the tree: read-only until write-back. */
static int fsops_erofs_path(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return -EROFS;
}

static int fsops_erofs_1(const char *path)
{
	(void)path;
	return -EROFS;
}

static int fsops_erofs_2(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return -EROFS;
}

static int fsops_rename(const char *from, const char *to, unsigned int flags)
{
	(void)flags;
	return fsops_erofs_2(from, to);
}

static int fsops_create(const char *path, mode_t mode,
			struct fuse_file_info *fi)
{
	(void)fi;
	return fsops_erofs_path(path, mode);
}

static int fsops_write(const char *path, const char *buf, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)path;
	(void)off;
	if (!h || !is_auth_writable(h->kind))
		return -EROFS;
	/* Checked at open too; a descriptor handed to another user (a
	 * setuid helper, SCM_RIGHTS) must not carry the right along. */
	if (control_may_write())
		return -EACCES;
	return control_write(ctx(), h, buf, size);
}

static int fsops_truncate(const char *path, off_t size,
			  struct fuse_file_info *fi)
{
	(void)fi;
	/* `echo CODE > .auth/verifier` opens with O_TRUNC: nothing to cut. */
	if (strcmp(path, AUTH_VERIFIER) == 0 ||
	    strcmp(path, AUTH_REFRESH) == 0) {
		if (control_may_write())
			return -EACCES;
		return size == 0 ? 0 : -EROFS;
	}
	return fsops_erofs_1(path);
}

static int fsops_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	return fsops_erofs_path(path, mode);
}

static int fsops_chown(const char *path, uid_t uid, gid_t gid,
		       struct fuse_file_info *fi)
{
	(void)uid;
	(void)gid;
	(void)fi;
	return fsops_erofs_1(path);
}

static int fsops_utimens(const char *path, const struct timespec tv[2],
			 struct fuse_file_info *fi)
{
	(void)tv;
	(void)fi;
	return fsops_erofs_1(path);
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
	char path[NAME_MAX + 64];
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
	for (f = 0; f < RENDER_FMT_COUNT; f++) {
		const char *ext = render_fmt_ext((enum render_fmt)f);

		if (!fmt_shown(x, f))
			continue;
		if (it) {
			snprintf(path, sizeof(path), SHEETS_DIR "/%s.%s",
				 it->stem, ext);
			(void)fuse_invalidate_path(x->fuse, path);
		}
		snprintf(path, sizeof(path), BYID_DIR "/%" PRId64 ".%s", id,
			 ext);
		(void)fuse_invalidate_path(x->fuse, path);
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
	cfg->hard_remove = 0;
	return x;
}

/* The session ended: free what the kernel never released. */
static void fsops_destroy(void *private_data)
{
	struct handle *h, *next;

	(void)private_data;
	control_release();
	pthread_mutex_lock(&handles_lock);
	h = open_handles;
	open_handles = NULL;
	pthread_mutex_unlock(&handles_lock);
	for (; h; h = next) {
		next = h->next;
		handle_free(h);
	}
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
    .create = fsops_create,
    .mknod = NULL,
    .mkdir = fsops_erofs_path,
    .unlink = fsops_erofs_1,
    .rmdir = fsops_erofs_1,
    .symlink = fsops_erofs_2,
    .link = fsops_erofs_2,
    .rename = fsops_rename,
    .truncate = fsops_truncate,
    .chmod = fsops_chmod,
    .chown = fsops_chown,
    .utimens = fsops_utimens,
};

const struct fuse_operations *fsops_table(void)
{
	return &ops;
}
