/*
 * The cache's sheets and reports (SPEC §6, §7): a hash table of per-sheet
 * state, the open of a file (TTL; for a sheet one GET /version to
 * revalidate and a fetch when it changed, for a report, which has no
 * version, a fetch; single-flight through the busy flag; offline serving),
 * the warm-up's fetch of every rendering, SIGHUP. Any thread: FUSE
 * workers, prefetch workers.
 */
#include "cache/cache.h"
#include "cache/cache_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "cache/diskcache.h"
#include "cache/listing.h"
#include "cache/savelog.h"
#include "util/log.h"

struct cache *cache_new(const struct cache_source *src,
			const struct cache_opts *o)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nbuckets = 1024;
	/* An array of pointers: NOLINTNEXTLINE(bugprone-sizeof-expression) */
	c->table = calloc(c->nbuckets, sizeof(*c->table));
	if (!c->table) {
		free(c);
		return NULL;
	}
	c->savelog = savelog_new();
	if (!c->savelog) {
		free(c->table);
		free(c);
		return NULL;
	}
	c->src = *src;
	c->opts = *o;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	return c;
}

void cache_set_hooks(struct cache *c, const struct cache_hooks *hooks)
{
	c->hooks = *hooks;
}

void cache_sheet_clear(struct sheet_state *s)
{
	int f;

	model_sheet_free(s->model);
	s->model = NULL;
	for (f = 0; f < FMT_COUNT; f++) {
		cache_content_put(s->content[f]);
		s->content[f] = NULL;
	}
	s->version = -1;
	s->checked_at = 0;
	s->refused = false;
}

void cache_free(struct cache *c)
{
	size_t b;

	if (!c)
		return;
	for (b = 0; b < c->nbuckets; b++) {
		struct sheet_state *s = c->table[b], *next;

		for (; s; s = next) {
			next = s->next;
			cache_sheet_clear(s);
			free(s);
		}
	}
	free(c->table);
	free(c->user);
	savelog_free(c->savelog);
	cache_dirs_free(c);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static size_t bucket_of(const struct cache *c, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 32) % c->nbuckets;
}

/* Caller holds c->lock. NULL when out of memory (or absent: !create).
 * Ids are unique over sheets and reports. */
struct sheet_state *cache_sheet(struct cache *c, int64_t id, bool report,
				bool create)
{
	size_t b = bucket_of(c, id);
	struct sheet_state *s;
	int f;

	for (s = c->table[b]; s; s = s->next)
		if (s->id == id)
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->report = report;
	s->version = -1;
	for (f = 0; f < FMT_COUNT; f++)
		s->shown[f] = -1;
	s->next = c->table[b];
	c->table[b] = s;
	c->nsheets++;
	return s;
}

static struct sheet_state *sheet_get(struct cache *c,
				     const struct cache_ref *ref, bool create)
{
	return cache_sheet(c, ref->id, ref->report, create);
}

/*
 * ref with the modifiedAt every path to its file shows (SPEC §7): its
 * own, else (a child of a workspace or folder: the children list gives
 * none) the sheet list's or report list's held now, else 0 (unknown).
 * What is held, what was refused and what read-ahead fetches are then
 * judged alike whichever folder the file was reached through.
 */
static struct cache_ref listed(struct cache *c, const struct cache_ref *ref)
{
	struct cache_ref r = *ref;

	if (r.mtime_s)
		return r;
	pthread_mutex_lock(&c->lock);
	r.mtime_s = cache_dirs_mtime(c, r.id, r.report);
	pthread_mutex_unlock(&c->lock);
	return r;
}

/*
 * Caller holds c->lock. Whether a refusal stands for the file listed at
 * mtime: until the list shows it modified (SPEC §3). With either side
 * unknown (no list held) it stands, and a refusal met while none was held
 * takes the first modifiedAt a list shows as its own.
 */
static bool refused_at(struct sheet_state *s, int64_t mtime)
{
	if (!s->refused)
		return false;
	if (!s->refused_mtime)
		s->refused_mtime = mtime;
	return !mtime || s->refused_mtime == mtime;
}

int64_t cache_held_version(struct cache *c, int64_t id)
{
	struct sheet_state *s;
	int64_t v = -1;

	pthread_mutex_lock(&c->lock);
	s = cache_sheet(c, id, false, false);
	if (s && !s->report)
		v = s->version;
	pthread_mutex_unlock(&c->lock);
	return v;
}

void cache_peek(struct cache *c, const struct cache_ref *ref_in,
		enum render_fmt fmt, int64_t *size, int64_t *mtime_s)
{
	const struct cache_ref r = listed(c, ref_in), *ref = &r;
	const int64_t id = ref->id, listed_mtime_s = ref->mtime_s;
	struct diskcache_meta meta;
	struct sheet_state *s;
	bool held, stale = false;

	*size = -1;
	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, ref, true);
	held = s && s->content[fmt];
	if (held && cache_current(s->content[fmt]->mtime_s, listed_mtime_s)) {
		*size = (int64_t)s->content[fmt]->len;
		*mtime_s = s->content[fmt]->mtime_s;
	} else if (held) {
		stale = !s->busy;
	}
	pthread_mutex_unlock(&c->lock);
	/* A file from an earlier mount, if it is of the version listed. */
	if (*size < 0 && !held && c->opts.disk &&
	    diskcache_peek(c->opts.disk, id, cache_variant(c, ref->report, fmt),
			   &meta) == 0) {
		if (cache_current(meta.mtime_s, listed_mtime_s)) {
			*size = (int64_t)meta.size;
			*mtime_s = meta.mtime_s;
		} else {
			stale = true;
		}
	}
	pthread_mutex_lock(&c->lock);
	if (s)
		s->shown[fmt] = *size < 0 ? 0 : *size;
	pthread_mutex_unlock(&c->lock);
	/* What is held is older than the list: fetch it before anyone
	 * reads, so that sizes become exact (and the kernel is told). */
	if (stale && c->hooks.stale)
		c->hooks.stale(c->hooks.ctx, ref);
}

/*
 * Nothing in memory: serve the disk cache's copy if it is of the version
 * validated within the TTL (validate false: a prefetch just wrote it), or
 * if one GET /version says it is current (*asked is then set), or, when
 * the API cannot be reached, as it is (offline). 0 with *out set, -ENOENT
 * when there is no usable copy, or the version check's error.
 */
static int refresh_from_disk(struct cache *c, struct sheet_state *s,
			     enum render_fmt fmt, bool validate,
			     struct cache_content **out, bool *asked)
{
	struct diskcache_meta meta;
	struct api_result res;
	int64_t version = -1;
	bool tried;
	int rc;

	if (diskcache_peek(c->opts.disk, s->id,
			   cache_variant(c, s->report, fmt), &meta))
		return -ENOENT;
	if (!validate && s->version >= 0 && meta.version == s->version)
		return cache_content_from_disk(c, s->id, s->report, fmt, out)
			   ? -ENOENT
			   : 0;
	/* A report has no version to check: fetched within the TTL (the
	 * warm-up wrote it), or fetched again; offline, cache_open serves
	 * the disk copy. */
	if (s->report)
		return !validate && s->checked_at > 0 &&
			       !cache_content_from_disk(c, s->id, true, fmt,
							out)
			   ? 0
			   : -ENOENT;
	memset(&res, 0, sizeof(res));
	tried = cache_may_try(c);
	if (tried) {
		rc = c->src.ops->get_version(c->src.ctx, s->id, API_PRIO_USER,
					   &version, &res);
		cache_note_result(c, rc, &res);
		*asked = rc == 0;
	} else {
		rc = -EIO;
	}
	if (rc == -ENOENT)
		diskcache_drop(c->opts.disk, s->id);
	if (rc && !cache_is_network_error(rc))
		return rc;
	if (!rc && version != meta.version)
		return -ENOENT; /* changed since: fetch it */
	if (cache_content_from_disk(c, s->id, s->report, fmt, out))
		return rc ? rc : -ENOENT;
	if (rc && tried)
		log_warn("sheet %lld: serving the copy on disk (%s)",
			 (long long)s->id, strerror(-rc));
	return 0;
}

/* Caller holds c->lock. A reader or a prefetch was refused (403, or 404
 * for a listed sheet) at this modifiedAt: out of listings until the list
 * shows the sheet modified (SPEC §3). */
static void mark_refused(struct sheet_state *s, int rc, int64_t listed_mtime)
{
	if (rc == -ENOENT || rc == -EACCES) {
		s->refused = true;
		s->refused_mtime = listed_mtime;
	} else if (rc == 0) {
		s->refused = false;
	}
}

/* The sheet's or report's model: one GET (a report's pages, for it). */
static int fetch_model(struct cache *c, const struct sheet_state *s,
		       enum api_prio prio, struct model_sheet **out,
		       struct api_result *res)
{
	if (s->report)
		return c->src.ops->get_report(c->src.ctx, s->id, prio, out,
					      res);
	return c->src.ops->get_sheet(c->src.ctx, s->id, prio, out, res);
}

/*
 * The busy owner's work, outside the lock: validate (one GET /version),
 * fetch when the version changed or nothing is held, render fmt.
 * s->model, s->version and s->content are only changed by the busy owner,
 * so reading them here without the lock is safe; publishing happens under
 * the lock in cache_open. *asked: a request said what is served is current
 * (only that moves the validation time, SPEC §6). *tried: the network was
 * tried (a failure is worth a log line).
 */
static int refresh_sheet(struct cache *c, struct sheet_state *s,
			 enum render_fmt fmt, bool validate,
			 struct model_sheet **new_model,
			 struct cache_content **new_content, bool *unchanged,
			 bool *asked, bool *tried)
{
	struct api_result res;
	int64_t version = -1;
	int rc = 0;

	*unchanged = false;
	*asked = false;
	*tried = false;
	memset(&res, 0, sizeof(res));
	if (!s->model && !s->content[fmt] && c->opts.disk) {
		rc = refresh_from_disk(c, s, fmt, validate, new_content, asked);
		if (rc != -ENOENT)
			return rc;
	}
	if ((validate && (s->version >= 0 || s->report)) || !s->model) {
		if (!cache_may_try(c))
			return -EIO; /* offline: serve what is held */
		*tried = true;
	}
	if (validate && s->version >= 0 && !s->report) {
		rc = c->src.ops->get_version(c->src.ctx, s->id, API_PRIO_USER,
					   &version, &res);
		cache_note_result(c, rc, &res);
		if (rc)
			return rc;
		*asked = true;
		if (version == s->version)
			*unchanged = true;
		if (*unchanged && s->content[fmt])
			return 0; /* nothing to fetch or render */
	}
	if (!*unchanged || !s->model || (s->report && validate)) {
		memset(&res, 0, sizeof(res));
		rc = fetch_model(c, s, API_PRIO_USER, new_model, &res);
		cache_note_result(c, rc, &res);
		if (rc)
			return rc;
		*asked = true;
		*unchanged = false;
	}
	rc = cache_render(c, *new_model ? *new_model : s->model, fmt,
			    new_content);
	if (rc == 0)
		(void)cache_store_on_disk(c, s->id, s->report, fmt,
					  *new_content);
	return rc;
}

int cache_open(struct cache *c, const struct cache_ref *ref_in,
	       enum render_fmt fmt, struct cache_content **out,
	       bool *keep_cache, bool *direct_io)
{
	const struct cache_ref r = listed(c, ref_in), *ref = &r;
	const int64_t id = ref->id, listed_mtime_s = ref->mtime_s;
	struct model_sheet *model = NULL;
	struct cache_content *ct = NULL;
	struct sheet_state *s;
	bool stale, unchanged = false, resized = false;
	bool asked = false, tried = false;
	int rc;

	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, ref, true);
	if (!s) {
		pthread_mutex_unlock(&c->lock);
		return -ENOMEM;
	}
	while (s->busy)
		pthread_cond_wait(&c->cond, &c->lock);
	stale = cache_mono(c) - s->checked_at >= (double)c->opts.ttl_s;
	if (!stale && s->content[fmt]) {
		*out = cache_content_get(s->content[fmt]);
		*keep_cache = true;
		*direct_io = s->shown[fmt] != (int64_t)(*out)->len;
		s->served = (*out)->version;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	s->busy = true;
	pthread_mutex_unlock(&c->lock);

	if (!stale && s->model) {
		/* Validated recently: only this format is missing. Rendering
		 * it asks nothing, so the validation time stays. */
		rc = cache_render(c, s->model, fmt, &ct);
		if (rc == 0)
			(void)cache_store_on_disk(c, id, ref->report, fmt, ct);
	} else {
		rc = refresh_sheet(c, s, fmt, stale, &model, &ct, &unchanged,
				   &asked, &tried);
	}
	if (cache_is_network_error(rc) && !s->content[fmt] && !ct &&
	    c->opts.disk &&
	    cache_content_from_disk(c, id, ref->report, fmt, &ct) == 0) {
		/* Offline: the copy on disk as it is (a report's: it has no
		 * version the server could have confirmed). */
		if (tried)
			log_warn("report %lld: serving the copy on disk (%s)",
				 (long long)id, strerror(-rc));
		rc = 0;
	}

	pthread_mutex_lock(&c->lock);
	s->busy = false;
	if (rc == 0) {
		if (model) {
			cache_sheet_clear(s);
			s->model = model;
			s->version = model->version;
		} else if (!s->model && ct) {
			/* From the disk cache: no model, just these bytes. */
			s->version = ct->version;
		}
		if (asked)
			s->checked_at = cache_mono(c);
		if (unchanged && s->content[fmt] && !ct) {
			/* Same version: keep the bytes the kernel has. */
			*keep_cache = true;
		} else {
			cache_content_put(s->content[fmt]);
			s->content[fmt] = ct;
			*keep_cache = false;
		}
		*out = cache_content_get(s->content[fmt]);
		*direct_io = s->shown[fmt] != (int64_t)(*out)->len;
		resized = *direct_io && s->shown[fmt] >= 0;
		s->served = (*out)->version;
	} else if (cache_is_network_error(rc) && s->content[fmt]) {
		if (tried)
			log_warn("sheet %lld: serving the copy held (%s)",
				 (long long)id, strerror(-rc));
		*out = cache_content_get(s->content[fmt]);
		*keep_cache = true;
		*direct_io = s->shown[fmt] != (int64_t)(*out)->len;
		s->served = (*out)->version;
		rc = 0;
	} else if (rc == -ENOENT) {
		cache_sheet_clear(s);
		if (c->opts.disk)
			diskcache_drop(c->opts.disk, id);
	}
	mark_refused(s, rc, listed_mtime_s);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	/* The kernel holds the size getattr showed: an fstat of this open
	 * file (rsync's, tar's) must see the size it reads. */
	if (resized && c->hooks.size_changed)
		c->hooks.size_changed(c->hooks.ctx, id);
	return rc;
}

bool cache_held(struct cache *c, const struct cache_ref *ref_in)
{
	const struct cache_ref r = listed(c, ref_in), *ref = &r;
	const int64_t id = ref->id, listed_mtime_s = ref->mtime_s;
	struct diskcache_meta meta;
	struct sheet_state *s;
	int f, held = 0;

	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, ref, false);
	for (f = 0; f < FMT_COUNT; f++)
		if (!cache_fmt_on(c, f) ||
		    (s && s->content[f] &&
		     cache_current(s->content[f]->mtime_s, listed_mtime_s)))
			held |= 1 << f;
	pthread_mutex_unlock(&c->lock);
	for (f = 0; c->opts.disk && f < FMT_COUNT; f++)
		if (!(held & (1 << f)) &&
		    diskcache_peek(c->opts.disk, id,
				   cache_variant(c, ref->report,
						 (enum render_fmt)f),
				   &meta) == 0 &&
		    cache_current(meta.mtime_s, listed_mtime_s))
			held |= 1 << f;
	return held == (1 << FMT_COUNT) - 1;
}

bool cache_refused(struct cache *c, const struct cache_ref *ref_in)
{
	const struct cache_ref ref = listed(c, ref_in);
	struct sheet_state *s;
	bool refused;

	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, &ref, false);
	refused = s && refused_at(s, ref.mtime_s);
	pthread_mutex_unlock(&c->lock);
	return refused;
}

/*
 * The fetch of a prefetch, outside the lock, by the busy owner: one GET
 * unless a reader fetched the model within the TTL, then every format
 * shown rendered (and kept on disk when there is a disk cache).
 */
static int fetch_all(struct cache *c, struct sheet_state *s, bool fresh,
		     enum api_prio prio, struct model_sheet **model,
		     struct cache_content **ct, bool *on_disk)
{
	const struct model_sheet *use;
	struct api_result res;
	int f, rc = 0;

	*on_disk = true;
	if (!fresh && !cache_may_try(c)) {
		return -EIO; /* offline: try again later */
	} else if (!fresh) {
		memset(&res, 0, sizeof(res));
		rc = fetch_model(c, s, prio, model, &res);
		if (rc != -ECANCELED)
			cache_note_result(c, rc, &res);
	}
	use = fresh ? s->model : *model;
	for (f = 0; rc == 0 && f < FMT_COUNT; f++) {
		if (!cache_fmt_on(c, f))
			continue;
		rc = cache_render(c, use, (enum render_fmt)f, &ct[f]);
		if (rc == 0)
			*on_disk &= cache_store_on_disk(
			    c, s->id, s->report, (enum render_fmt)f, ct[f]);
	}
	return rc;
}

int cache_prefetch(struct cache *c, const struct cache_ref *ref_in,
		   enum api_prio prio, bool wait)
{
	const struct cache_ref r = listed(c, ref_in), *ref = &r;
	const int64_t id = ref->id, listed_mtime_s = ref->mtime_s;
	struct cache_content *ct[FMT_COUNT] = {NULL};
	struct model_sheet *model = NULL;
	struct sheet_state *s;
	bool on_disk = true, resized = false, fresh;
	int f, rc = 0;

	if (cache_held(c, ref))
		return 0;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		s = sheet_get(c, ref, true);
		if (!s) {
			pthread_mutex_unlock(&c->lock);
			return -ENOMEM;
		}
		if (!s->busy)
			break; /* with the lock held */
		if (!wait) {
			/* Single-flight: whoever is busy fetches it. */
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		while (s->busy)
			pthread_cond_wait(&c->cond, &c->lock);
		pthread_mutex_unlock(&c->lock);
		/* Whoever was busy has probably fetched it. */
		if (cache_held(c, ref))
			return 0;
	}
	if (refused_at(s, listed_mtime_s)) {
		/* Refused before and unchanged since: do not ask each pass. */
		pthread_mutex_unlock(&c->lock);
		return -EACCES;
	}
	s->busy = true;
	/* A reader fetched it within the TTL: only a format is missing. */
	fresh = s->model &&
		cache_mono(c) - s->checked_at < (double)c->opts.ttl_s;
	pthread_mutex_unlock(&c->lock);

	rc = fetch_all(c, s, fresh, prio, &model, ct, &on_disk);

	pthread_mutex_lock(&c->lock);
	s->busy = false;
	if (rc == 0) {
		/* Nobody asked for the model: keep only the files, on disk
		 * when they are there (memory stays bounded), else here. */
		if (!fresh) {
			cache_sheet_clear(s);
			s->version = model->version;
			s->checked_at = cache_mono(c);
		}
		for (f = 0; f < FMT_COUNT; f++) {
			if (!ct[f])
				continue;
			if (s->shown[f] >= 0 &&
			    s->shown[f] != (int64_t)ct[f]->len)
				resized = true;
			if (!on_disk || fresh) {
				cache_content_put(s->content[f]);
				s->content[f] = ct[f];
				ct[f] = NULL;
			}
		}
	} else if (rc == -ENOENT) {
		cache_sheet_clear(s);
		if (c->opts.disk)
			diskcache_drop(c->opts.disk, id);
	}
	mark_refused(s, rc, listed_mtime_s);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	for (f = 0; f < FMT_COUNT; f++)
		cache_content_put(ct[f]);
	model_sheet_free(model);
	if (resized && c->hooks.size_changed)
		c->hooks.size_changed(c->hooks.ctx, id);
	return rc;
}

void cache_refused_count(struct cache *c, size_t *sheets, size_t *reports)
{
	size_t b;

	*sheets = *reports = 0;
	pthread_mutex_lock(&c->lock);
	for (b = 0; b < c->nbuckets; b++) {
		const struct sheet_state *s;

		for (s = c->table[b]; s; s = s->next)
			if (s->refused)
				++*(s->report ? reports : sheets);
	}
	pthread_mutex_unlock(&c->lock);
}

void cache_drop_all(struct cache *c)
{
	size_t b;

	pthread_mutex_lock(&c->lock);
	for (b = 0; b < c->nbuckets; b++) {
		struct sheet_state *s;

		for (s = c->table[b]; s; s = s->next)
			if (!s->busy)
				cache_sheet_clear(s);
			else
				s->checked_at = 0;
	}
	cache_dirs_expire(c);
	/* The user asks for fresh data (SIGHUP, a new credential): try the
	 * network at once, also if it was offline. */
	c->retry_at = 0;
	c->retry_gap = 0;
	pthread_mutex_unlock(&c->lock);
	log_info("caches dropped");
}
