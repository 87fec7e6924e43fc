#ifndef SSFS_TESTS_UNIT_SAVE_RIG_H
#define SSFS_TESTS_UNIT_SAVE_RIG_H

/*
 * For the write-back unit tests (test_save.c, test_append.c): a cache over
 * the fake sheet (fake_sheet_source.h) with write-back on and a fresh
 * journal folder, and helpers to read the file, edit its text, look at
 * the rejected files and the status. Header-only: each test is one
 * executable (top is the test program's temporary folder).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/journal.h"
#include "cache/save.h"
#include "cache/savelog.h"
#include "testlib.h"
#include "fake_sheet_source.h"
#include "util/sbuf.h"


static char top[128];

static const struct cache_ref todo = {FS_ID, false, 0};

/* A cache over f with write-back on: a fresh journal folder. */
struct rig {
	struct fsrc f;
	struct cache *c;
	struct journal *j;
};

static inline void rig_init(struct rig *r, size_t nrows, const char *name)
{
	char dir[256], err[256];
	struct cache_opts o;

	fs_init(&r->f, nrows);
	memset(&o, 0, sizeof(o));
	o.ttl_s = 60;
	r->c = cache_new(&r->f.src, &o);
	snprintf(dir, sizeof(dir), "%s/%s", top, name);
	r->j = journal_open(dir, err, sizeof(err));
	CHECK(r->c && r->j);
	cache_enable_write(r->c, r->j);
}

static inline void rig_release(struct rig *r)
{
	cache_free(r->c);
	journal_close(r->j);
	fs_release(&r->f);
}

/* The sheet's CSV as the mount serves it, a new string (NULL: failed). */
static inline char *read_csv(struct cache *c)
{
	struct cache_content *ct = NULL;
	bool keep, direct;
	char *s;

	if (cache_open(c, &todo, RENDER_FMT_CSV, &ct, &keep, &direct))
		return NULL;
	s = strndup(ct->data, ct->len);
	cache_content_put(ct);
	return s;
}

/* s with its first from replaced by to, a new string. */
static inline char *replace(const char *s, const char *from, const char *to)
{
	const char *at = s ? strstr(s, from) : NULL;
	char *out;

	if (!at)
		return strdup("(missing)");
	out = malloc(strlen(s) + strlen(to) + 1);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), to);
	strcat(out, at + strlen(from));
	return out;
}

static inline size_t nrejected(struct journal *j)
{
	char **names = journal_rejected(j);
	size_t n = 0;

	while (names && names[n])
		n++;
	journal_names_free(names);
	return n;
}

/* The .status text, a new string. */
static inline char *status(struct cache *c)
{
	struct sbuf sb = SBUF_INIT(0);

	CHECK_INT(savelog_render(cache_savelog(c), &sb), 0);
	return sbuf_detach(&sb, NULL);
}

static inline bool has(const char *s, const char *needle)
{
	if (s && strstr(s, needle))
		return true;
	fprintf(stderr, "  \"%s\" not in: %s\n", needle, s ? s : "(null)");
	return false;
}

static inline int save(struct rig *r, const char *text, int64_t base)
{
	return cache_save(r->c, &todo, RENDER_FMT_CSV, "sheets/Todo.csv", base,
			  text, strlen(text));
}

struct racer {
	struct rig *r;
	const char *text;
	int64_t base;
	int rc;
};

static inline void *race(void *arg)
{
	struct racer *x = arg;

	x->rc = save(x->r, x->text, x->base);
	return NULL;
}

/* The text of the only rejected file, a new string. */
static inline char *rejected_text(struct journal *j)
{
	char **names = journal_rejected(j), buf[256];
	ssize_t n = -1;
	int fd;

	fd = names && names[0] ? journal_rejected_open(j, names[0]) : -1;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	journal_names_free(names);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

#endif /* SSFS_TESTS_UNIT_SAVE_RIG_H */
