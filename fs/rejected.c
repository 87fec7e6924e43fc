/*
 * The write-back files at the mount root (SPEC §8), shown with -o write:
 * .status (the last results, newest first, from the cache's status ring)
 * and .rejected/ (the texts of failed saves, kept in the journal's folder
 * across mounts until the owner removes them). Translation only: the
 * journal (cache/journal.h) and the ring (cache/savelog.h) do the work.
 * libfuse's worker threads.
 */
#include "fs/write_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse.h>

#include "cache/journal.h"
#include "cache/save.h"
#include "cache/savelog.h"
#include "fs/control_i.h"
#include "fs/ops.h"
#include "util/sbuf.h"

/* The text of .status. */
static int status_text(struct fsops_ctx *x, char **text, size_t *len)
{
	struct sbuf sb = SBUF_INIT(1 << 20);
	int rc = savelog_render(cache_savelog(x->cache), &sb);

	if (rc) {
		sbuf_release(&sb);
		return rc;
	}
	*text = sbuf_detach(&sb, len);
	return *text ? 0 : -ENOMEM;
}

int rejected_getattr(struct fsops_ctx *x, const struct node *n, struct stat *st)
{
	struct stat js;
	char *text = NULL;
	size_t len = 0;
	int rc;

	st->st_nlink = 1;
	switch (n->kind) {
	case NODE_DIR_REJECTED:
		st->st_mode = S_IFDIR | 0700;
		st->st_nlink = 2;
		st->st_mtime = st->st_ctime = st->st_atime = x->mounted_at;
		return 0;
	case NODE_STATUS:
		/* Its exact size: readers such as cat read st_size. */
		rc = status_text(x, &text, &len);
		free(text);
		if (rc)
			return rc;
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)len;
		st->st_mtime = st->st_ctime = st->st_atime = time(NULL);
		return 0;
	case NODE_REJECTED:
		rc = journal_rejected_stat(x->journal, n->name, &js);
		if (rc)
			return rc;
		st->st_mode = S_IFREG | 0600;
		st->st_size = js.st_size;
		st->st_blksize = 4096;
		st->st_blocks = (js.st_size + 511) / 512;
		st->st_mtim = st->st_ctim = st->st_atim = js.st_mtim;
		return 0;
	default:
		return -ENOENT;
	}
}

int rejected_readdir(struct fsops_ctx *x, void *buf,
		     int (*fill)(void *buf, const char *name))
{
	char **names = journal_rejected(x->journal);
	size_t i;

	if (!names)
		return -EIO;
	for (i = 0; names[i]; i++) {
		if (fill(buf, names[i]))
			break;
	}
	journal_names_free(names);
	return 0;
}

int rejected_open(struct fsops_ctx *x, const struct node *n, struct handle *h,
		  struct fuse_file_info *fi)
{
	int fd;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return -EACCES;
	fi->direct_io = 1;
	if (n->kind == NODE_STATUS)
		return status_text(x, &h->text, &h->len);
	fd = journal_rejected_open(x->journal, n->name);
	if (fd < 0)
		return fd;
	h->fd = fd;
	return 0;
}

int rejected_read(struct handle *h, char *buf, size_t size, off_t off)
{
	ssize_t n;

	if (off < 0)
		return -EINVAL;
	do {
		n = pread(h->fd, buf, size, off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

int rejected_unlink(struct fsops_ctx *x, const struct node *n)
{
	int rc = fsw_may_change(x);

	if (rc)
		return rc;
	if (n->kind != NODE_REJECTED)
		return -EPERM;
	return journal_rejected_remove(x->journal, n->name);
}
