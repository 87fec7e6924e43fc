/*
 * Write-back in fs/ (SPEC §8): who may write (the mounting user or root,
 * with -o write), the modes that say so, and the edit handles of sheet
 * files. An edit handle buffers the whole text in memory (empty after
 * O_TRUNC, else a copy of what the file reads) and saves it through
 * cache_save at close (flush) or fsync; or, when its first write appends
 * to a .csv, sends each write's records through a cache append session.
 * libfuse's worker threads; fsw_abandon from destroy at the end.
 */
#include "fs/write_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fuse.h>

#include "cache/cache.h"
#include "cache/journal.h"
#include "cache/save.h"
#include "cache/savelog.h"
#include "fs/control_i.h"
#include "fs/ops.h"
#include "util/clock.h"
#include "util/log.h"

enum edit_mode {
	EDIT_UNDECIDED, /* nothing written yet */
	EDIT_TEXT,	/* a new text, saved whole */
	EDIT_APPEND,	/* records added at the bottom, write by write */
};

struct edit {
	pthread_mutex_t lock; /* writes, flushes and fsyncs may overlap */
	struct cache *cache;
	struct cache_ref ref;
	enum render_fmt fmt;
	char *path; /* "sheets/X.csv": for the status and .rejected */
	char *buf;  /* the text (len bytes of alloc) */
	size_t len, alloc;
	size_t orig_len;  /* what the file read at open (not truncated) */
	int64_t base;	  /* the edit's base version (0: the one held) */
	bool truncated;	  /* O_TRUNC or truncated since: not an append */
	bool append_flag; /* opened with O_APPEND */
	bool dirty;	  /* a text to save */
	bool loaded;	  /* buf holds the text (not an append-only open) */
	bool saved;	  /* saved, nothing written since */
	enum edit_mode mode;
	struct cache_append *app; /* the append session, once begun */
};

int fsw_may_change(const struct fsops_ctx *x)
{
	if (!x->write)
		return -EROFS;
	return control_may_write();
}

/* SPEC §8: the access levels that may edit a sheet's rows. */
static bool access_edits(const char *level)
{
	static const char *const ok[] = {"OWNER", "ADMIN", "EDITOR_SHARE",
					 "EDITOR"};
	size_t i;

	for (i = 0; level && i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(level, ok[i]) == 0)
			return true;
	}
	return false;
}

mode_t fsw_file_mode(const struct fsops_ctx *x, const struct node *n)
{
	const struct cache_item *it = fsops_node_item(n);

	if (!x->write || n->kind != NODE_FILE || n->ref.report ||
	    n->fmt == RENDER_FMT_NDJSON || !it || !access_edits(it->access))
		return 0444;
	return 0644;
}

bool fsw_dir_writable(const struct fsops_ctx *x, enum node_kind k)
{
	return x->write && (k == NODE_DIR_SHEETS || k == NODE_DIR_BYID ||
			    k == NODE_DIR_TREE);
}

int fsw_file_writable(const struct fsops_ctx *x, const struct node *n)
{
	if (!x->write)
		return -EROFS;
	return fsw_file_mode(x, n) == 0644 ? 0 : -EACCES;
}

static void edit_free(struct edit *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e->path);
	free(e->buf);
	free(e);
}

int fsw_resize(char **buf, size_t *len, size_t *alloc, size_t want)
{
	if (want > *alloc) {
		size_t a = *alloc ? *alloc : 4096;
		char *p;

		while (a < want)
			a = a > SIZE_MAX / 2 ? want : a * 2;
		p = realloc(*buf, a);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*alloc = a;
	}
	if (want > *len)
		memset(*buf + *len, 0, want - *len);
	*len = want;
	return 0;
}

/* Make the text len bytes long (new bytes zero). */
static int edit_resize(struct edit *e, size_t len)
{
	return fsw_resize(&e->buf, &e->len, &e->alloc, len);
}

int fsw_open(struct fsops_ctx *x, const char *path, const struct node *n,
	     struct handle *h, struct fuse_file_info *fi)
{
	struct cache_content *ct = NULL;
	bool keep = false, direct = false;
	struct edit *e;
	int rc;

	rc = fsw_may_change(x);
	if (!rc)
		rc = fsw_file_writable(x, n);
	if (rc)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->path = strdup(path + 1))) {
		free(e);
		return -ENOMEM;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->cache = x->cache;
	e->ref = n->ref;
	e->fmt = n->fmt;
	e->append_flag = (fi->flags & O_APPEND) != 0;
	e->loaded = true;
	if (fi->flags & O_TRUNC) {
		/* SPEC §8: the base is what this mount served last. */
		e->base = cache_served_version(x->cache, n->ref.id);
		e->truncated = true;
		e->dirty = true; /* closed unwritten: an empty text */
	} else if ((fi->flags & O_ACCMODE) == O_WRONLY && e->append_flag) {
		/* `>>`: appends; nothing to read, nothing to fetch. */
		e->loaded = false;
	} else {
		rc = cache_open(x->cache, &n->ref, n->fmt, &ct, &keep, &direct);
		if (!rc)
			rc = edit_resize(e, ct->len);
		if (!rc) {
			memcpy(e->buf, ct->data, ct->len);
			e->orig_len = ct->len;
			e->base = ct->version;
		}
		cache_content_put(ct);
		if (rc) {
			edit_free(e);
			return rc;
		}
	}
	/* What the handle reads is its own text: no page cache. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	h->edit = e;
	return 0;
}

int fsw_read(struct handle *h, char *buf, size_t size, off_t off)
{
	struct edit *e = h->edit;
	size_t n = 0;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	if ((uint64_t)off < e->len) {
		n = e->len - (size_t)off;
		if (n > size)
			n = size;
		memcpy(buf, e->buf + off, n);
	}
	pthread_mutex_unlock(&e->lock);
	return (int)n;
}

/* The first write decides (SPEC §8): O_APPEND on a .csv, or a write at
 * the end of a handle that was not truncated, appends; else an edit. */
static int decide(struct edit *e, off_t off)
{
	if (e->append_flag) {
		if (e->fmt != RENDER_FMT_CSV)
			return -EINVAL; /* append to .json: edit it instead */
		e->mode = EDIT_APPEND;
	} else if (e->fmt == RENDER_FMT_CSV && !e->truncated &&
		   (uint64_t)off == e->orig_len && e->len == e->orig_len) {
		e->mode = EDIT_APPEND;
	} else {
		e->mode = EDIT_TEXT;
	}
	return 0;
}

static int append(struct edit *e, const char *buf, size_t size)
{
	int rc = 0;

	if (!e->app)
		rc = cache_append_open(e->cache, &e->ref, e->path, &e->app);
	if (!rc)
		rc = cache_append_write(e->app, buf, size);
	return rc ? rc : (int)size;
}

int fsw_write(struct handle *h, const char *buf, size_t size, off_t off)
{
	struct edit *e = h->edit;
	int rc = 0;

	if (off < 0 || size > INT_MAX || (uint64_t)off > SIZE_MAX - size)
		return -EFBIG;
	pthread_mutex_lock(&e->lock);
	if (e->mode == EDIT_UNDECIDED)
		rc = decide(e, off);
	if (!rc && e->mode == EDIT_APPEND) {
		rc = append(e, buf, size);
	} else if (!rc) {
		if ((size_t)off + size > e->len)
			rc = edit_resize(e, (size_t)off + size);
		if (!rc) {
			memcpy(e->buf + off, buf, size);
			e->dirty = true;
			e->saved = false;
			rc = (int)size;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int64_t fsw_size(const struct handle *h)
{
	int64_t n;

	pthread_mutex_lock(&h->edit->lock);
	n = h->edit->loaded && !h->edit->saved && h->edit->mode != EDIT_APPEND
		? (int64_t)h->edit->len
		: -1;
	pthread_mutex_unlock(&h->edit->lock);
	return n;
}

int fsw_ftruncate(struct handle *h, off_t size)
{
	struct edit *e = h->edit;
	int rc;

	if (size < 0)
		return -EINVAL;
	if ((uint64_t)size > SIZE_MAX)
		return -EFBIG;
	pthread_mutex_lock(&e->lock);
	if (e->mode == EDIT_APPEND || (!e->loaded && size)) {
		/* Records already sent, or a text not read: not an edit. */
		rc = -EINVAL;
	} else {
		rc = edit_resize(e, (size_t)size);
		if (!rc) {
			e->loaded = true;
			e->mode = EDIT_TEXT;
			e->truncated = true;
			e->dirty = true;
			e->saved = false;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* Under e->lock: send what is pending. */
static int edit_save(struct edit *e)
{
	int rc = 0;

	if (e->app) {
		rc = cache_append_close(e->app);
		e->app = NULL;
	}
	if (e->mode != EDIT_APPEND && e->dirty) {
		e->dirty = false; /* done either way: kept in .rejected/ */
		rc = cache_save(e->cache, &e->ref, e->fmt, e->path, e->base,
				e->buf ? e->buf : "", e->len);
		if (!rc) {
			/* Later writes build on the saved text. */
			e->base = cache_served_version(e->cache, e->ref.id);
			e->saved = true;
		}
	}
	return rc;
}

int fsw_flush(struct handle *h)
{
	int rc;

	pthread_mutex_lock(&h->edit->lock);
	rc = edit_save(h->edit);
	pthread_mutex_unlock(&h->edit->lock);
	return rc;
}

void fsw_release(struct handle *h)
{
	if (!h->edit)
		return;
	pthread_mutex_lock(&h->edit->lock);
	if (edit_save(h->edit)) /* the cache logged why */
		log_debug("%s: saved at release: failed", h->edit->path);
	pthread_mutex_unlock(&h->edit->lock);
	edit_free(h->edit);
	h->edit = NULL;
}

void fsw_abandon(struct fsops_ctx *x, struct handle *h)
{
	struct edit *e = h->edit;
	struct savelog_entry le;
	int rc;

	if (!e)
		return;
	if (e->app) {
		/* Its records went out write by write; only a last one
		 * without a line end is left. */
		if (cache_append_close(e->app))
			log_debug("%s: the last record was refused", e->path);
		e->app = NULL;
	}
	if (e->mode != EDIT_APPEND && e->dirty && x->journal) {
		/* No request at the end of the session: keep the text. */
		memset(&le, 0, sizeof(le));
		rc = journal_keep(x->journal, e->path, e->buf ? e->buf : "",
				  e->len, le.rejected, sizeof(le.rejected));
		le.wall_ms = clock_wall_ms();
		snprintf(le.path, sizeof(le.path), "%s", e->path);
		le.err = -EIO;
		snprintf(le.message, sizeof(le.message),
			 "unmounted while the file was open for writing: "
			 "not saved");
		savelog_add(cache_savelog(x->cache), &le);
		if (rc)
			log_err("%s: %s; the text could not be kept: %s",
				e->path, le.message, strerror(-rc));
		else
			log_warn("%s: %s; the text is in .rejected/%s", e->path,
				 le.message, le.rejected);
	}
	edit_free(e);
	h->edit = NULL;
}

int fsw_save_scratch(struct fsops_ctx *x, const char *from, const char *to,
		     const struct node *dst)
{
	struct scratch *s = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = fsw_file_writable(x, dst);
	if (!rc)
		rc = scratch_get(from, &s);
	if (rc)
		return rc;
	rc = scratch_copy(s, &text, &len);
	scratch_put(s);
	if (rc)
		return rc;
	/* The base: what this mount served of the sheet last, at the
	 * rename (the editor read it before it wrote the scratch file). */
	rc = cache_save(x->cache, &dst->ref, dst->fmt, to + 1,
			cache_served_version(x->cache, dst->ref.id), text, len);
	free(text);
	if (!rc)
		(void)scratch_unlink(
		    from); /* saved: the scratch file is gone */
	return rc;
}
