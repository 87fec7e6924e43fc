/*
 * Folders' listings as the cache holds them (SPEC §6, §7): one state per
 * folder (the sheet list, the reports, the workspaces, each workspace and
 * folder), read through the source when not held or older than cache_ttl,
 * one reader at a time per folder (single-flight), kept on disk, kept as
 * they are while offline. Any thread; the table and refcounts under
 * c->lock, the requests outside it.
 */
#include "cache/cache.h"
#include "cache/cache_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "cache/diskcache.h"
#include "cache/listing.h"
#include "render/names.h"
#include "util/log.h"

#define DIR_BUCKETS 256

static const char *dir_name(enum cache_dir dir)
{
	switch (dir) {
	case CACHE_DIR_SHEETS:
		return "sheet list";
	case CACHE_DIR_REPORTS:
		return "report list";
	case CACHE_DIR_WORKSPACES:
		return "workspace list";
	case CACHE_DIR_WORKSPACE:
		return "workspace";
	case CACHE_DIR_FOLDER:
		return "folder";
	}
	return "folder";
}

/* Caller holds c->lock. NULL when out of memory (create) or absent. */
static struct dir_state *dir_get(struct cache *c, enum cache_dir dir,
				 int64_t id, bool create)
{
	uint64_t h = ((uint64_t)id * 0x9E3779B97F4A7C15ull) ^ (uint64_t)dir;
	size_t b;
	struct dir_state *d;

	if (!c->dirs) {
		if (!create)
			return NULL;
		/* An array of pointers: NOLINTNEXTLINE(bugprone-sizeof-expression) */
		c->dirs = calloc(DIR_BUCKETS, sizeof(*c->dirs));
		if (!c->dirs)
			return NULL;
		c->ndir_buckets = DIR_BUCKETS;
	}
	b = (size_t)(h >> 32) % c->ndir_buckets;
	for (d = c->dirs[b]; d; d = d->next)
		if (d->dir == dir && d->id == id)
			return d;
	if (!create)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->dir = dir;
	d->id = id;
	d->next = c->dirs[b];
	c->dirs[b] = d;
	return d;
}

void cache_dirs_free(struct cache *c)
{
	size_t b;

	for (b = 0; c->dirs && b < c->ndir_buckets; b++) {
		struct dir_state *d = c->dirs[b], *next;

		for (; d; d = next) {
			next = d->next;
			cache_listing_free(d->listing);
			free(d);
		}
	}
	free(c->dirs);
	c->dirs = NULL;
}

void cache_dirs_expire(struct cache *c)
{
	size_t b;

	for (b = 0; c->dirs && b < c->ndir_buckets; b++) {
		struct dir_state *d;

		for (d = c->dirs[b]; d; d = d->next)
			d->listed_at = -1e18;
	}
}

/* Caller holds c->lock: a new reference to d's listing. */
static struct cache_listing *hold(struct dir_state *d)
{
	d->listing->refs++;
	return d->listing;
}

/*
 * What d shows, outside the lock: the source's list, kept on disk with
 * the time it was read. With nothing held (a remount), a list on disk
 * younger than cache_ttl is served instead, as a held one would be:
 * *age_s says how old it is, and it is read again when it reaches the TTL
 * (SPEC §7: a remount shows the tree at once). Offline with nothing held,
 * the list on disk whatever its age (*age_s -1: read again at the next
 * chance). *fresh: the new listing. *tried: the network was tried.
 */
static int read_dir(struct cache *c, const struct dir_state *d, bool held,
		    enum api_prio prio, struct cache_listing **fresh,
		    double *age_s, bool *tried)
{
	struct model_sheet_list list = {0}, disk = {0};
	struct api_result res;
	int64_t read_at = 0;
	bool on_disk = false;
	double age = -1;
	int rc;

	memset(&res, 0, sizeof(res));
	*age_s = 0;
	*tried = false;
	if (!held && c->opts.disk &&
	    cache_listing_load(c->opts.disk, d->dir, d->id, &disk, &read_at) ==
		0) {
		on_disk = true;
		age = cache_wall(c) - (double)read_at;
	}
	if (on_disk && read_at > 0 && age >= 0 && age < (double)c->opts.ttl_s) {
		list = disk;
		memset(&disk, 0, sizeof(disk));
		*age_s = age;
		rc = 0;
		goto build;
	}
	*tried = cache_may_try(c);
	if (*tried) {
		rc = c->src.ops->list_dir(c->src.ctx, d->dir, d->id, prio,
					  &list, &res);
		if (rc != -ECANCELED)
			cache_note_result(c, rc, &res);
	} else {
		rc = -EIO; /* offline, and not yet time to try again */
	}
	if (rc == 0) {
		cache_listing_store(c->opts.disk, d->dir, d->id, &list,
				    (int64_t)cache_wall(c));
	} else if (cache_is_network_error(rc) && on_disk) {
		/* Offline from the start: the names of what the disk holds,
		 * until the API answers again. */
		log_warn("%s: using the one on disk (%s)", dir_name(d->dir),
			 strerror(-rc));
		list = disk;
		memset(&disk, 0, sizeof(disk));
		*age_s = -1;
		rc = 0;
	}
build:
	if (rc == 0)
		rc = cache_listing_build(&list,
					 c->opts.ndjson ? names_exts_ndjson
							: names_exts_default,
					 fresh);
	if (rc == 0) {
		(*fresh)->dir = d->dir;
		(*fresh)->dir_id = d->id;
	}
	model_sheet_list_release(&list);
	model_sheet_list_release(&disk);
	return rc;
}

int cache_get_dir(struct cache *c, enum cache_dir dir, int64_t dir_id,
		  enum api_prio prio, struct cache_listing **out)
{
	struct cache_listing *fresh = NULL;
	struct dir_state *d;
	bool tried = false;
	double age_s = 0;
	int rc;

	pthread_mutex_lock(&c->lock);
	d = dir_get(c, dir, dir_id, true);
	if (!d) {
		pthread_mutex_unlock(&c->lock);
		return -ENOMEM;
	}
	for (;;) {
		if (d->listing &&
		    cache_mono(c) - d->listed_at < (double)c->opts.ttl_s) {
			*out = hold(d);
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		if (!d->busy)
			break;
		pthread_cond_wait(&c->cond, &c->lock);
		/* Whoever was busy just finished: use what it got, even at
		 * ttl 0, rather than asking again. */
		if (d->listing && !d->busy) {
			*out = hold(d);
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
	}
	d->busy = true;
	pthread_mutex_unlock(&c->lock);

	rc = read_dir(c, d, d->listing != NULL, prio, &fresh, &age_s, &tried);

	pthread_mutex_lock(&c->lock);
	d->busy = false;
	if (rc == 0) {
		if (d->listing && --d->listing->refs == 0)
			cache_listing_free(d->listing);
		d->listing = fresh;
		d->listed_at = age_s < 0 ? -1e18 : cache_mono(c) - age_s;
	} else if (d->listing && cache_is_network_error(rc)) {
		/* Offline: keep serving the list we have. */
		if (tried)
			log_warn("%s: using the list from before (%s)",
				 dir_name(dir), strerror(-rc));
		rc = 0;
	}
	if (rc == 0)
		*out = hold(d);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (fresh && (dir == CACHE_DIR_SHEETS || dir == CACHE_DIR_REPORTS) &&
	    c->hooks.listing_changed)
		c->hooks.listing_changed(c->hooks.ctx);
	return rc;
}

int cache_get_listing(struct cache *c, enum api_prio prio,
		      struct cache_listing **out)
{
	return cache_get_dir(c, CACHE_DIR_SHEETS, 0, prio, out);
}

/* The listing held now for a list of the whole account, no request. */
static struct cache_listing *held_now(struct cache *c, enum cache_dir dir)
{
	struct cache_listing *l = NULL;
	struct dir_state *d;

	pthread_mutex_lock(&c->lock);
	d = dir_get(c, dir, 0, false);
	if (d && d->listing)
		l = hold(d);
	pthread_mutex_unlock(&c->lock);
	return l;
}

int64_t cache_dirs_mtime(struct cache *c, int64_t id, bool report)
{
	const struct dir_state *d =
	    dir_get(c, report ? CACHE_DIR_REPORTS : CACHE_DIR_SHEETS, 0, false);
	const struct cache_item *it;

	if (!d || !d->listing)
		return 0;
	it = cache_find_id(d->listing, id);
	return it ? it->mtime_s : 0;
}

struct cache_listing *cache_listing_now(struct cache *c)
{
	return held_now(c, CACHE_DIR_SHEETS);
}

struct cache_listing *cache_reports_now(struct cache *c)
{
	return held_now(c, CACHE_DIR_REPORTS);
}

struct cache_listing *cache_listing_ref(struct cache *c,
					struct cache_listing *l)
{
	pthread_mutex_lock(&c->lock);
	l->refs++;
	pthread_mutex_unlock(&c->lock);
	return l;
}

void cache_put_listing(struct cache *c, struct cache_listing *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&c->lock);
	if (--l->refs == 0)
		cache_listing_free(l);
	pthread_mutex_unlock(&c->lock);
}

bool cache_disk_nearly_full(struct cache *c)
{
	return c->opts.disk && diskcache_nearly_full(c->opts.disk);
}
