#ifndef SSFS_CACHE_CACHE_I_H
#define SSFS_CACHE_CACHE_I_H

/*
 * Inside cache/: the cache's state, shared by cache.c (the sheets),
 * listing.c (the sheet list), content.c (rendered bytes in memory and on
 * disk) and state.c (online/offline, the status, the user). Not for other
 * modules. Locking: c->lock protects what the comments say; network and
 * rendering happen outside it, by a sheet's busy owner only.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "cache/source.h"
#include "render/render.h"

struct model_sheet;

#define FMT_COUNT RENDER_FMT_COUNT
/* While offline the network is tried again after 1 s, 2 s, 4 s ... up to
 * cache_ttl (at least 1 s, at most this). */
#define CACHE_OFFLINE_RETRY_MAX_S 60.0

/* One folder's listing and when it was read (cache/dirs.c). */
struct dir_state {
	enum cache_dir dir;
	int64_t id;
	struct dir_state *next;	       /* hash chain */
	struct cache_listing *listing; /* NULL: never read */
	double listed_at;	       /* monotonic; -1e18: from disk */
	bool busy;		       /* a thread is reading it */
};

struct sheet_state {
	int64_t id;
	bool report;		   /* a report: no version, refetched */
	struct sheet_state *next;  /* hash chain */
	struct model_sheet *model; /* newest version fetched, or NULL */
	struct cache_content *content[FMT_COUNT];
	int64_t version;	  /* version of model/content, -1 none */
	double checked_at;	  /* monotonic seconds of the last validation */
	int64_t shown[FMT_COUNT]; /* size getattr last showed, -1 never */
	bool busy;		  /* a thread is fetching or rendering */
	bool refused;		  /* a prefetch got 403/404 for ... */
	int64_t refused_mtime;	  /* ... the sheet listed with this mtime */
	int64_t served;		  /* version cache_open last returned, 0 */
	bool saving; /* a save or append holds the sheet's write lock */
};

struct cache {
	struct cache_source src; /* set by cache_new, then read-only */
	struct cache_opts opts;
	struct cache_hooks hooks; /* set once, before other threads */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled when a busy flag clears */

	/* protected by lock */
	struct dir_state **dirs; /* hash table of folders' listings */
	size_t ndir_buckets;
	struct sheet_state **table;
	size_t nbuckets;
	size_t nsheets;
	double offline_since; /* wall-clock time, 0 when online */
	double retry_gap;     /* offline: the backoff's current step (s) */
	double retry_at;      /* offline: no request before (monotonic) */
	char last_error[512];
	double last_error_at;
	char *user; /* "Name <email>", or NULL */

	/* write-back (cache/save.c): set once before other threads */
	struct journal *journal;  /* borrowed; NULL: write-back off */
	struct savelog *savelog;  /* owned, never NULL */
};

/* The formats this mount shows (CSV and JSON always, NDJSON with -o
 * ndjson): what "held" means and what a prefetch renders. */
static inline bool cache_fmt_on(const struct cache *c, int fmt)
{
	return fmt != RENDER_FMT_NDJSON || c->opts.ndjson;
}

/* cache.c: the sheet of id (created when asked; NULL when out of memory
 * or absent). Caller holds c->lock; the state lives until cache_free. */
struct sheet_state *cache_sheet(struct cache *c, int64_t id, bool report,
				bool create);
/* Forget what is held for s (not its refusal's memory of served). Caller
 * holds c->lock and is s's busy owner or nobody is. */
void cache_sheet_clear(struct sheet_state *s);

/* dirs.c */
void cache_dirs_free(struct cache *c);
/* Every listing old: the next lookup reads them again (SIGHUP). Caller
 * holds c->lock. */
void cache_dirs_expire(struct cache *c);

/* The modifiedAt the sheet list (or, report, the report list) held now
 * gives id; 0 when none is held or it is not there. Caller holds
 * c->lock. */
int64_t cache_dirs_mtime(struct cache *c, int64_t id, bool report);

/* state.c: the clock, and whether the network may be tried */
double cache_mono(const struct cache *c);
double cache_wall(const struct cache *c);
bool cache_is_network_error(int rc);
/*
 * Whether the network may be tried now. While offline, a request is made
 * at most once per backoff step (cache_note_result); until then the caller
 * fails as the last request did (-EIO) and serves what it holds, at once,
 * instead of each lookup and open waiting for a connect timeout.
 */
bool cache_may_try(struct cache *c);

/* content.c */
/* The disk cache's name for a rendering of a sheet or a report: the
 * format and the options that change its bytes (a report's are its own:
 * "report-..."). */
const char *cache_variant(const struct cache *c, bool report,
			  enum render_fmt fmt);
/* Whether held bytes stamped held_mtime are at least as new as the sheet
 * the list shows (a list read before a later fetch is merely late; an
 * unknown modifiedAt on either side trusts what is held). */
bool cache_current(int64_t held_mtime, int64_t listed_mtime);
struct cache_content *cache_content_get(struct cache_content *ct);
/* m rendered as fmt: a new content (refs 1). 0 or -errno. */
int cache_render(struct cache *c, const struct model_sheet *m,
		 enum render_fmt fmt, struct cache_content **out);
/* The disk cache's copy as a content (refs 1). 0 or -errno. */
int cache_content_from_disk(struct cache *c, int64_t id, bool report,
			    enum render_fmt fmt, struct cache_content **out);
/* Keep a freshly rendered file of a sheet or report on disk for the next
 * mount; whether it is there. */
bool cache_store_on_disk(struct cache *c, int64_t id, bool report,
			 enum render_fmt fmt, const struct cache_content *ct);

/*
 * save.c, for itself and append.c (write-back, cache/save.h). A save or
 * an append batch holds the sheet's write lock (save_lock: waits for the
 * one before; NULL when out of memory; save_unlock). save_busy: become
 * (on) or stop being s's busy owner, as a fetch does.
 */
struct edit_plan;
struct savelog_entry;
struct sheet_state *save_lock(struct cache *c, int64_t id);
void save_unlock(struct cache *c, struct sheet_state *s);
void save_busy(struct cache *c, struct sheet_state *s, bool on);
/* A status entry for path; a failure (the first message sticks); the
 * entry's end: kept in the ring and logged (never the text). */
void save_entry_init(struct savelog_entry *e, const char *path);
void save_failed(struct savelog_entry *e, int rc, const char *msg);
/* A failed request: its errorCode, refId and message (or the errno's). */
void save_failed_res(struct savelog_entry *e, int rc,
		     const struct api_result *res);
void save_done(struct cache *c, struct savelog_entry *e);
/* -EROFS (write-back off), -EACCES (a report, or the credential may not
 * write: why in e), or 0. */
int save_allowed(struct cache *c, const struct cache_ref *ref,
		 struct savelog_entry *e);
/* Text no save was begun for, kept as a rejected file (name in e). */
void save_keep(struct cache *c, const char *path, const char *text,
	       size_t len, struct savelog_entry *e);
/* The requests of p in order, the added rows' ids passed on, stopping at
 * the first failure (described in e, with what landed). *version: the
 * sheet's version after the last request that landed. 0 or -errno. */
int save_send(struct cache *c, int64_t id, const struct edit_plan *p,
	      struct savelog_entry *e, int64_t *version);
/* As s's busy owner: read the sheet again (API_PRIO_USER), hold its
 * model and every rendering (or nothing, when that fails). */
void save_reload(struct cache *c, struct sheet_state *s);
/* The size_changed hook, called with no lock, busy flag or write lock
 * held (fs/ may ask the kernel to drop pages a reader is waiting on). */
void save_tell_size(struct cache *c, int64_t id);

#endif /* SSFS_CACHE_CACHE_I_H */
