#include "cache/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/model.h"
#include "cache/listing.h"
#include "cache/diskcache.h"
#include "util/log.h"

#define FMT_COUNT 2
/* While offline the network is tried again after 1 s, 2 s, 4 s ... up to
 * cache_ttl (at least 1 s, at most this). */
#define CACHE_OFFLINE_RETRY_MAX_S 60.0

struct sheet_state {
	int64_t id;
	struct sheet_state *next;  /* hash chain */
	struct model_sheet *model; /* newest version fetched, or NULL */
	struct content *content[FMT_COUNT];
	int64_t version;	  /* version of model/content, -1 none */
	double checked_at;	  /* monotonic seconds of the last validation */
	int64_t shown[FMT_COUNT]; /* size getattr last showed, -1 never */
	bool busy;		  /* a thread is fetching or rendering */
	bool refused;		  /* a prefetch got 403/404 for ... */
	int64_t refused_mtime;	  /* ... the sheet listed with this mtime */
};

struct cache {
	struct api *api;
	struct cache_opts opts;
	struct cache_hooks hooks; /* set once, before other threads */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled when a busy flag clears */

	/* protected by lock */
	struct cache_listing *listing;
	double listed_at;
	bool listing_busy;
	struct sheet_state **table;
	size_t nbuckets;
	size_t nsheets;
	double offline_since; /* wall-clock time, 0 when online */
	double retry_gap;     /* offline: the backoff's current step (s) */
	double retry_at;      /* offline: no request before (monotonic) */
	char last_error[512];
	double last_error_at;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct cache *cache_new(struct api *api, const struct cache_opts *o)
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
	c->api = api;
	c->opts = *o;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	return c;
}

void cache_set_hooks(struct cache *c, const struct cache_hooks *hooks)
{
	c->hooks = *hooks;
}

void content_put(struct content *ct)
{
	if (!ct)
		return;
	if (__atomic_sub_fetch(&ct->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(ct->data);
		free(ct);
	}
}

static struct content *content_get(struct content *ct)
{
	__atomic_add_fetch(&ct->refs, 1, __ATOMIC_ACQ_REL);
	return ct;
}

static void sheet_clear(struct sheet_state *s)
{
	int f;

	model_sheet_free(s->model);
	s->model = NULL;
	for (f = 0; f < FMT_COUNT; f++) {
		content_put(s->content[f]);
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
			sheet_clear(s);
			free(s);
		}
	}
	free(c->table);
	listing_free(c->listing);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static size_t bucket_of(const struct cache *c, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 32) % c->nbuckets;
}

/* Caller holds c->lock. NULL when out of memory. */
static struct sheet_state *sheet_get(struct cache *c, int64_t id, bool create)
{
	size_t b = bucket_of(c, id);
	struct sheet_state *s;

	for (s = c->table[b]; s; s = s->next)
		if (s->id == id)
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->version = -1;
	s->shown[0] = s->shown[1] = -1;
	s->next = c->table[b];
	c->table[b] = s;
	c->nsheets++;
	return s;
}

static bool is_network_error(int rc)
{
	return rc == -EIO || rc == -ETIMEDOUT;
}

/*
 * No usable answer: nothing came back (a connection failure or a timeout,
 * each of which can cost a connect timeout), or the server kept failing
 * (5xx, 429) through the retries. A malformed answer is not: the server is
 * there, and the next request may well get a good one.
 */
static bool unreachable(int rc, const struct api_result *res)
{
	return is_network_error(rc) &&
	       (!res || res->status == 0 || res->status == 429 ||
		res->status >= 500);
}

/* The longest wait between two tries while offline: cache_ttl. */
static double retry_cap(const struct cache *c)
{
	double cap = (double)c->opts.ttl_s;

	if (cap < 1.0)
		cap = 1.0;
	return cap > CACHE_OFFLINE_RETRY_MAX_S ? CACHE_OFFLINE_RETRY_MAX_S
					       : cap;
}

void cache_note_result(struct cache *c, int rc, const struct api_result *res)
{
	if (rc == -ECANCELED)
		return; /* an unmount, not an answer */
	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		c->offline_since = 0;
		c->retry_gap = 0;
		c->retry_at = 0;
	} else {
		if (is_network_error(rc) && c->offline_since == 0)
			c->offline_since = now_wall();
		if (unreachable(rc, res)) {
			c->retry_gap = c->retry_gap > 0 ? c->retry_gap * 2 : 1.0;
			if (c->retry_gap > retry_cap(c))
				c->retry_gap = retry_cap(c);
			c->retry_at = now_mono() + c->retry_gap;
		}
		if (res && res->status)
			snprintf(c->last_error, sizeof(c->last_error),
				 "HTTP %ld, errorCode %d, refId %s: %s",
				 res->status, res->error_code,
				 res->ref_id[0] ? res->ref_id : "-",
				 res->message);
		else if (res && res->message[0])
			snprintf(c->last_error, sizeof(c->last_error), "%s",
				 res->message);
		else
			snprintf(c->last_error, sizeof(c->last_error), "%s",
				 strerror(-rc));
		c->last_error_at = now_wall();
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Whether the network may be tried now. While offline, a request is made
 * at most once per backoff step (cache_note_result); until then the caller
 * fails as the last request did (-EIO) and serves what it holds, at once,
 * instead of each lookup and open waiting for a connect timeout.
 */
static bool may_try(struct cache *c)
{
	bool ok;

	pthread_mutex_lock(&c->lock);
	ok = c->retry_at == 0 || now_mono() >= c->retry_at;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

int cache_get_listing(struct cache *c, enum api_prio prio,
		      struct cache_listing **out)
{
	struct model_sheet_list list = {0};
	struct api_result res;
	struct cache_listing *fresh = NULL;
	bool from_disk = false, tried;
	int rc;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (c->listing &&
		    now_mono() - c->listed_at < (double)c->opts.ttl_s) {
			c->listing->refs++;
			*out = c->listing;
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		if (!c->listing_busy)
			break;
		pthread_cond_wait(&c->cond, &c->lock);
		/* Whoever was busy just finished: use what it got, even at
		 * ttl 0, rather than asking again. */
		if (c->listing && !c->listing_busy) {
			c->listing->refs++;
			*out = c->listing;
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
	}
	c->listing_busy = true;
	pthread_mutex_unlock(&c->lock);

	memset(&res, 0, sizeof(res));
	tried = may_try(c);
	if (tried) {
		rc = api_list_sheets(c->api, prio, &list, &res);
		cache_note_result(c, rc, &res);
	} else {
		rc = -EIO; /* offline, and not yet time to try again */
	}
	if (rc == 0) {
		listing_store_on_disk(c->opts.disk, &list);
	} else if (is_network_error(rc) && !c->listing && c->opts.disk &&
		   listing_load_from_disk(c->opts.disk, &list) == 0) {
		/* Offline from the start: the names of what the disk holds,
		 * until the API answers again. */
		log_warn("sheet list: using the one on disk (%s)",
			 strerror(-rc));
		from_disk = true;
		rc = 0;
	}
	if (rc == 0)
		rc = listing_build(&list, &fresh);
	model_sheet_list_release(&list);

	pthread_mutex_lock(&c->lock);
	c->listing_busy = false;
	if (rc == 0) {
		if (c->listing && --c->listing->refs == 0)
			listing_free(c->listing);
		c->listing = fresh;
		c->listed_at = from_disk ? -1e18 : now_mono();
	} else if (c->listing && is_network_error(rc)) {
		/* Offline: keep serving the list we have. */
		if (tried)
			log_warn("sheet list: using the list from before (%s)",
				 strerror(-rc));
		rc = 0;
	}
	if (rc == 0) {
		c->listing->refs++;
		*out = c->listing;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (fresh && c->hooks.listing_changed)
		c->hooks.listing_changed(c->hooks.ctx);
	return rc;
}

bool cache_disk_nearly_full(struct cache *c)
{
	return c->opts.disk && diskcache_nearly_full(c->opts.disk);
}

struct cache_listing *cache_listing_now(struct cache *c)
{
	struct cache_listing *l;

	pthread_mutex_lock(&c->lock);
	l = c->listing;
	if (l)
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
		listing_free(l);
	pthread_mutex_unlock(&c->lock);
}

/* The disk cache's name for a rendering: the format and the options that
 * change its bytes. */
static const char *variant(const struct cache *c, enum render_fmt fmt)
{
	static const char *const csv[2][2] = {
	    {"csv-raw-lf", "csv-raw-crlf"},
	    {"csv-display-lf", "csv-display-crlf"},
	};

	if (fmt == RENDER_FMT_JSON)
		return "json";
	return csv[c->opts.render.display ? 1 : 0][c->opts.render.crlf ? 1 : 0];
}

/* Whether held bytes stamped held_mtime are at least as new as the sheet
 * the list shows (a list read before a later fetch is merely late; an
 * unknown modifiedAt on either side trusts what is held). */
static bool current(int64_t held_mtime, int64_t listed_mtime)
{
	return !listed_mtime || !held_mtime || held_mtime >= listed_mtime;
}

void cache_peek(struct cache *c, int64_t id, enum render_fmt fmt,
		int64_t listed_mtime_s, int64_t *size, int64_t *mtime_s)
{
	struct diskcache_meta meta;
	struct sheet_state *s;
	bool held, stale = false;

	*size = -1;
	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, id, true);
	held = s && s->content[fmt];
	if (held && current(s->content[fmt]->mtime_s, listed_mtime_s)) {
		*size = (int64_t)s->content[fmt]->len;
		*mtime_s = s->content[fmt]->mtime_s;
	} else if (held) {
		stale = !s->busy;
	}
	pthread_mutex_unlock(&c->lock);
	/* A file from an earlier mount, if it is of the version listed. */
	if (*size < 0 && !held && c->opts.disk &&
	    diskcache_peek(c->opts.disk, id, variant(c, fmt), &meta) == 0) {
		if (current(meta.mtime_s, listed_mtime_s)) {
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
		c->hooks.stale(c->hooks.ctx, id);
}

static int render_content(struct cache *c, const struct model_sheet *m,
			  enum render_fmt fmt, struct content **out)
{
	struct sbuf sb = SBUF_INIT(0);
	struct content *ct;
	size_t sb_alloc;
	int64_t t = 0;
	int rc;

	if (!m)
		return -EINVAL;
	rc = render_sheet(m, fmt, &c->opts.render, &sb);
	if (rc)
		return rc;
	sb_alloc = sb.alloc;
	ct = calloc(1, sizeof(*ct));
	if (!ct) {
		sbuf_release(&sb);
		return -ENOMEM;
	}
	ct->data = sbuf_detach(&sb, &ct->len);
	if (!ct->data) {
		free(ct);
		return -ENOMEM;
	}
	/* The buffer grew by doubling: give back what the content does not
	 * use, since it stays as long as the cache holds it. */
	if (sb_alloc > ct->len + 1) {
		char *p = realloc(ct->data, ct->len + 1);

		if (p)
			ct->data = p;
	}
	ct->version = m->version;
	if (m->modified_at && model_parse_time(m->modified_at, &t) == 0)
		ct->mtime_s = t;
	ct->refs = 1;
	*out = ct;
	return 0;
}

/* Content from the disk cache as a struct content (a new reference). */
static int content_from_disk(struct cache *c, int64_t id, enum render_fmt fmt,
			     struct content **out)
{
	struct diskcache_meta meta;
	struct content *ct;
	char *data = NULL;
	int rc;

	rc = diskcache_get(c->opts.disk, id, variant(c, fmt), &meta, &data);
	if (rc)
		return rc;
	ct = calloc(1, sizeof(*ct));
	if (!ct) {
		free(data);
		return -ENOMEM;
	}
	ct->data = data;
	ct->len = (size_t)meta.size;
	ct->version = meta.version;
	ct->mtime_s = meta.mtime_s;
	ct->refs = 1;
	*out = ct;
	return 0;
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
			     struct content **out, bool *asked)
{
	struct diskcache_meta meta;
	struct api_result res;
	int64_t version = -1;
	bool tried;
	int rc;

	if (diskcache_peek(c->opts.disk, s->id, variant(c, fmt), &meta))
		return -ENOENT;
	if (!validate && s->version >= 0 && meta.version == s->version)
		return content_from_disk(c, s->id, fmt, out) ? -ENOENT : 0;
	memset(&res, 0, sizeof(res));
	tried = may_try(c);
	if (tried) {
		rc = api_get_sheet_version(c->api, s->id, API_PRIO_USER,
					   &version, &res);
		cache_note_result(c, rc, &res);
		*asked = rc == 0;
	} else {
		rc = -EIO;
	}
	if (rc == -ENOENT)
		diskcache_drop(c->opts.disk, s->id);
	if (rc && !is_network_error(rc))
		return rc;
	if (!rc && version != meta.version)
		return -ENOENT; /* changed since: fetch it */
	if (content_from_disk(c, s->id, fmt, out))
		return rc ? rc : -ENOENT;
	if (rc && tried)
		log_warn("sheet %lld: serving the copy on disk (%s)",
			 (long long)s->id, strerror(-rc));
	return 0;
}

/* Keep a freshly rendered file on disk for the next mount. Returns
 * whether it is there. */
static bool store_on_disk(struct cache *c, int64_t id, enum render_fmt fmt,
			  const struct content *ct)
{
	struct diskcache_meta meta = {
	    .version = ct->version,
	    .mtime_s = ct->mtime_s,
	    .size = ct->len,
	};
	int rc;

	if (!c->opts.disk || ct->version < 0)
		return false;
	rc = diskcache_put(c->opts.disk, id, variant(c, fmt), &meta, ct->data);
	if (rc && rc != -EFBIG)
		log_warn("disk cache: cannot keep sheet %lld: %s",
			 (long long)id, strerror(-rc));
	return rc == 0;
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
			 struct content **new_content, bool *unchanged,
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
	if ((validate && s->version >= 0) || !s->model) {
		if (!may_try(c))
			return -EIO; /* offline: serve what is held */
		*tried = true;
	}
	if (validate && s->version >= 0) {
		rc = api_get_sheet_version(c->api, s->id, API_PRIO_USER,
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
	if (!*unchanged || !s->model) {
		memset(&res, 0, sizeof(res));
		rc = api_get_sheet(c->api, s->id, API_PRIO_USER, new_model,
				   &res);
		cache_note_result(c, rc, &res);
		if (rc)
			return rc;
		*asked = true;
		*unchanged = false;
	}
	rc = render_content(c, *new_model ? *new_model : s->model, fmt,
			    new_content);
	if (rc == 0)
		(void)store_on_disk(c, s->id, fmt, *new_content);
	return rc;
}

int cache_open(struct cache *c, int64_t id, enum render_fmt fmt,
	       struct content **out, bool *keep_cache, bool *direct_io)
{
	struct model_sheet *model = NULL;
	struct content *ct = NULL;
	struct sheet_state *s;
	bool stale, unchanged = false, resized = false;
	bool asked = false, tried = false;
	int rc;

	if (c->hooks.opened)
		c->hooks.opened(c->hooks.ctx, id);
	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, id, true);
	if (!s) {
		pthread_mutex_unlock(&c->lock);
		return -ENOMEM;
	}
	while (s->busy)
		pthread_cond_wait(&c->cond, &c->lock);
	stale = now_mono() - s->checked_at >= (double)c->opts.ttl_s;
	if (!stale && s->content[fmt]) {
		*out = content_get(s->content[fmt]);
		*keep_cache = true;
		*direct_io = s->shown[fmt] != (int64_t)(*out)->len;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	s->busy = true;
	pthread_mutex_unlock(&c->lock);

	if (!stale && s->model) {
		/* Validated recently: only this format is missing. Rendering
		 * it asks nothing, so the validation time stays. */
		rc = render_content(c, s->model, fmt, &ct);
		if (rc == 0)
			(void)store_on_disk(c, id, fmt, ct);
	} else {
		rc = refresh_sheet(c, s, fmt, stale, &model, &ct, &unchanged,
				   &asked, &tried);
	}

	pthread_mutex_lock(&c->lock);
	s->busy = false;
	if (rc == 0) {
		if (model) {
			sheet_clear(s);
			s->model = model;
			s->version = model->version;
		} else if (!s->model && ct) {
			/* From the disk cache: no model, just these bytes. */
			s->version = ct->version;
		}
		if (asked)
			s->checked_at = now_mono();
		if (unchanged && s->content[fmt] && !ct) {
			/* Same version: keep the bytes the kernel has. */
			*keep_cache = true;
		} else {
			content_put(s->content[fmt]);
			s->content[fmt] = ct;
			*keep_cache = false;
		}
		*out = content_get(s->content[fmt]);
		*direct_io = s->shown[fmt] != (int64_t)(*out)->len;
		resized = *direct_io && s->shown[fmt] >= 0;
	} else if (is_network_error(rc) && s->content[fmt]) {
		if (tried)
			log_warn("sheet %lld: serving the copy held (%s)",
				 (long long)id, strerror(-rc));
		*out = content_get(s->content[fmt]);
		*keep_cache = true;
		*direct_io = s->shown[fmt] != (int64_t)(*out)->len;
		rc = 0;
	} else if (rc == -ENOENT) {
		sheet_clear(s);
		if (c->opts.disk)
			diskcache_drop(c->opts.disk, id);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	/* The kernel holds the size getattr showed: an fstat of this open
	 * file (rsync's, tar's) must see the size it reads. */
	if (resized && c->hooks.size_changed)
		c->hooks.size_changed(c->hooks.ctx, id);
	return rc;
}

bool cache_held(struct cache *c, int64_t id, int64_t listed_mtime_s)
{
	struct diskcache_meta meta;
	struct sheet_state *s;
	int f, held = 0;

	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, id, false);
	for (f = 0; s && f < FMT_COUNT; f++)
		if (s->content[f] &&
		    current(s->content[f]->mtime_s, listed_mtime_s))
			held |= 1 << f;
	pthread_mutex_unlock(&c->lock);
	for (f = 0; c->opts.disk && f < FMT_COUNT; f++)
		if (!(held & (1 << f)) &&
		    diskcache_peek(c->opts.disk, id,
				   variant(c, (enum render_fmt)f), &meta) == 0 &&
		    current(meta.mtime_s, listed_mtime_s))
			held |= 1 << f;
	return held == (1 << FMT_COUNT) - 1;
}

int cache_prefetch(struct cache *c, int64_t id, int64_t listed_mtime_s,
		   enum api_prio prio)
{
	struct content *ct[FMT_COUNT] = {NULL, NULL};
	struct model_sheet *model = NULL;
	const struct model_sheet *use;
	struct api_result res;
	struct sheet_state *s;
	bool on_disk = true, resized = false, fresh;
	int f, rc = 0;

	if (cache_held(c, id, listed_mtime_s))
		return 0;
	pthread_mutex_lock(&c->lock);
	s = sheet_get(c, id, true);
	if (!s || s->busy) {
		/* Single-flight: whoever is busy fetches it. */
		pthread_mutex_unlock(&c->lock);
		return s ? 0 : -ENOMEM;
	}
	if (s->refused && s->refused_mtime == listed_mtime_s) {
		/* Refused before and unchanged since: do not ask each pass. */
		pthread_mutex_unlock(&c->lock);
		return -EACCES;
	}
	s->busy = true;
	/* A reader fetched it within the TTL: only a format is missing. */
	fresh = s->model && now_mono() - s->checked_at < (double)c->opts.ttl_s;
	pthread_mutex_unlock(&c->lock);

	if (!fresh && !may_try(c)) {
		rc = -EIO; /* offline: try again later */
	} else if (!fresh) {
		memset(&res, 0, sizeof(res));
		rc = api_get_sheet(c->api, id, prio, &model, &res);
		cache_note_result(c, rc, &res);
	}
	use = fresh ? s->model : model;
	for (f = 0; rc == 0 && f < FMT_COUNT; f++) {
		rc = render_content(c, use, (enum render_fmt)f, &ct[f]);
		if (rc == 0)
			on_disk &= store_on_disk(c, id, (enum render_fmt)f,
						 ct[f]);
	}

	pthread_mutex_lock(&c->lock);
	s->busy = false;
	if (rc == 0) {
		/* Nobody asked for the model: keep only the files, on disk
		 * when they are there (memory stays bounded), else here. */
		if (!fresh) {
			sheet_clear(s);
			s->version = model->version;
			s->checked_at = now_mono();
		}
		for (f = 0; f < FMT_COUNT; f++) {
			if (s->shown[f] >= 0 &&
			    s->shown[f] != (int64_t)ct[f]->len)
				resized = true;
			if (!on_disk || fresh) {
				content_put(s->content[f]);
				s->content[f] = ct[f];
				ct[f] = NULL;
			}
		}
	} else if (rc == -ENOENT) {
		sheet_clear(s);
		if (c->opts.disk)
			diskcache_drop(c->opts.disk, id);
	}
	if (rc == -ENOENT || rc == -EACCES) {
		s->refused = true;
		s->refused_mtime = listed_mtime_s;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	for (f = 0; f < FMT_COUNT; f++)
		content_put(ct[f]);
	model_sheet_free(model);
	if (resized && c->hooks.size_changed)
		c->hooks.size_changed(c->hooks.ctx, id);
	return rc;
}

void cache_drop_all(struct cache *c)
{
	size_t b;

	pthread_mutex_lock(&c->lock);
	for (b = 0; b < c->nbuckets; b++) {
		struct sheet_state *s;

		for (s = c->table[b]; s; s = s->next)
			if (!s->busy)
				sheet_clear(s);
			else
				s->checked_at = 0;
	}
	c->listed_at = -1e18;
	/* The user asks for fresh data (SIGHUP, a new credential): try the
	 * network at once, also if it was offline. */
	c->retry_at = 0;
	c->retry_gap = 0;
	pthread_mutex_unlock(&c->lock);
	log_info("caches dropped");
}

int cache_status(struct cache *c, struct sbuf *out)
{
	char when[64];
	time_t t;
	struct tm tm;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->offline_since != 0) {
		t = (time_t)c->offline_since;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc = sbuf_addf(out, "network: offline since %s\n", when);
	} else {
		rc = sbuf_addstr(out, "network: online\n");
	}
	if (!rc && c->last_error_at != 0) {
		t = (time_t)c->last_error_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc = sbuf_addf(out, "last error: %s (at %s)\n", c->last_error,
			       when);
	} else if (!rc) {
		rc = sbuf_addstr(out, "last error: none\n");
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}
