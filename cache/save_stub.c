/*
 * TEMPORARY stand-in for cache/save.c (branch h14a implements it): lets
 * fs/ and cmd/ link and their tests run until h14a is merged. Deleted at
 * that merge. Any thread.
 */
#include "cache/save.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/journal.h"
#include "cache/savelog.h"
#include "util/clock.h"

static struct journal *stub_journal;
static struct savelog *stub_log;

void cache_enable_write(struct cache *c, struct journal *j)
{
	(void)c;
	stub_journal = j;
}

bool cache_write_enabled(struct cache *c)
{
	(void)c;
	return stub_journal != NULL;
}

struct savelog *cache_savelog(struct cache *c)
{
	(void)c;
	if (!stub_log)
		stub_log = savelog_new();
	return stub_log;
}

int64_t cache_served_version(struct cache *c, int64_t id)
{
	(void)c;
	(void)id;
	return 0;
}

int cache_save(struct cache *c, const struct cache_ref *ref,
	       enum render_fmt fmt, const char *path, int64_t base,
	       const char *text, size_t len)
{
	struct savelog_entry e;

	(void)ref;
	(void)fmt;
	(void)base;
	(void)text;
	memset(&e, 0, sizeof(e));
	e.wall_ms = clock_wall_ms();
	snprintf(e.path, sizeof(e.path), "%s", path);
	e.err = len ? 0 : -EINVAL;
	savelog_add(cache_savelog(c), &e);
	return e.err;
}

struct cache_append {
	int n;
};

int cache_append_open(struct cache *c, const struct cache_ref *ref,
		      const char *path, struct cache_append **out)
{
	(void)c;
	(void)ref;
	(void)path;
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

int cache_append_write(struct cache_append *a, const char *buf, size_t len)
{
	(void)a;
	(void)buf;
	(void)len;
	return 0;
}

int cache_append_close(struct cache_append *a)
{
	free(a);
	return 0;
}
