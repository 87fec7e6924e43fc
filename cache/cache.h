#ifndef SSFS_CACHE_CACHE_H
#define SSFS_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render/render.h"
#include "api/api.h"
#include "util/compat.h"
#include "util/sbuf.h"

/*
 * The cache between the FUSE callbacks and the API (SPEC §6).
 *
 * - The sheet list is a refcounted, immutable listing: names assigned,
 *   sorted by file stem and by id. It is re-read when older than ttl_s.
 * - Per sheet: the model of the newest version fetched, the rendered bytes
 *   of each format that was asked for (refcounted content, so an open file
 *   keeps reading the version it opened), and when it was last validated.
 *   Within ttl_s nothing is requested; after it one GET /version, and the
 *   sheet is fetched again only when the version changed.
 * - One fetch per sheet at a time (single-flight): other threads wait.
 * - With a disk cache (cache/diskcache.h), rendered bytes are also kept on
 *   disk with their version: after a remount, getattr shows their sizes at
 *   once, and an open serves them after one GET /version says they are
 *   current (or, offline, as they are) instead of fetching the sheet.
 * - Network failures (EIO, ETIMEDOUT) with content held: the old content is
 *   served and the cache is "offline" until a request succeeds. While
 *   offline the network is tried at most once per backoff step (1 s,
 *   doubling up to cache_ttl); meanwhile nothing is requested and what is
 *   held is served at once. EACCES and ENOENT are never papered over.
 * - Only an answer from the server moves a sheet's validation time: a
 *   format rendered from the held model, or a disk copy served without a
 *   request, leaves it where it was (SPEC §6).
 *
 * All functions are thread-safe and return 0 or a negative errno.
 * Locking: one mutex (c->lock) protects the listing pointer, the sheet table
 * and the status; network and rendering happen outside it.
 */

struct cache;
struct cache_source;
struct diskcache;
struct api_result;

struct cache_opts {
	long ttl_s;
	struct render_opts render;
	bool ndjson; /* -o ndjson: the .ndjson rendering is shown too */
	struct diskcache *disk; /* rendered files kept across mounts, or
				 * NULL (borrowed) */
};

/* One entry of a folder as the mount shows it. */
struct cache_item {
	int64_t id;
	enum model_kind kind; /* a sheet or report (files), a folder */
	char *stem;	 /* a file's name without extension; a folder's name */
	int64_t mtime_s; /* modifiedAt, 0 when unknown */
	char *permalink; /* NULL when unknown */
	char *access;	 /* accessLevel, NULL when unknown */
};

/*
 * The folders the mount shows from lists: the sheet list (sheets/, and the
 * sheets of by-id/), the reports (reports/, and the rest of by-id/), the
 * workspaces (workspaces/), and each workspace's and folder's children.
 */
enum cache_dir {
	CACHE_DIR_SHEETS = 0,
	CACHE_DIR_REPORTS,
	CACHE_DIR_WORKSPACES,
	CACHE_DIR_WORKSPACE, /* with the workspace's id */
	CACHE_DIR_FOLDER,    /* with the folder's id */
};

/* An immutable snapshot of one folder's entries (names assigned per SPEC
 * §3 and §7 over the folder's files and folders). */
struct cache_listing {
	struct cache_item *items;  /* sorted by stem (strcmp) */
	struct cache_item **by_id; /* the same items sorted by id */
	size_t count;
	enum cache_dir dir;
	int64_t dir_id;
	int refs; /* protected by the cache lock */
};

/* A file's sheet or report, and the modifiedAt the list it was found in
 * gives (0 when unknown, as in a workspace's or folder's children: every
 * cache_ call then takes the sheet list's or report list's held at the
 * time, so one file shows one modifiedAt on every path, SPEC §7). */
struct cache_ref {
	int64_t id;
	bool report;
	int64_t mtime_s;
};

/* Rendered bytes of one sheet in one format, at one version. Immutable. */
struct cache_content {
	char *data;
	size_t len;
	int64_t version;
	int64_t mtime_s;
	int refs; /* atomic */
};

/*
 * What the cache tells the layer above (cache/prefetch.c, fs/ops.c). Each is
 * optional, called without any cache lock held, from the thread that did
 * the work (a FUSE thread or a prefetch worker).
 */
struct cache_hooks {
	/* A new sheet list or report list was installed. */
	void (*listing_changed)(void *ctx);
	/* getattr saw content held for an older modifiedAt than the list's:
	 * the sheet should be fetched soon. */
	void (*stale)(void *ctx, const struct cache_ref *ref);
	/* A size the kernel may hold for the sheet's files is now wrong. */
	void (*size_changed)(void *ctx, int64_t id);
	void *ctx;
};

/* A cache that gets what it holds from src (copied; what it points to is
 * borrowed and must outlive the cache). NULL when out of memory. */
struct cache *cache_new(const struct cache_source *src,
			const struct cache_opts *o);
/* Set before any other thread uses the cache. */
void cache_set_hooks(struct cache *c, const struct cache_hooks *hooks);
void cache_free(struct cache *c);

/*
 * A reference to a folder's listing (dir, and the workspace's or folder's
 * id), read when it is not held or older than cache_ttl (the request at
 * prio: API_PRIO_USER when a reader waits; single-flight per folder; kept
 * on disk with the time it was read: a remount serves it from there, with
 * no request, until cache_ttl after that time, and a mount that starts
 * offline whatever its age; offline, the listing held is kept).
 * cache_get_listing is the sheet list's.
 */
int cache_get_dir(struct cache *c, enum cache_dir dir, int64_t dir_id,
		  enum api_prio prio, struct cache_listing **out) SSFS_WUR;
int cache_get_listing(struct cache *c, enum api_prio prio,
		      struct cache_listing **out) SSFS_WUR;
/* Another reference to l (the caller holds one); put releases one. */
struct cache_listing *cache_listing_ref(struct cache *c,
					struct cache_listing *l);
void cache_put_listing(struct cache *c, struct cache_listing *l);

/* Binary searches in a listing; NULL when absent. A folder and a file may
 * share a stem ("Roadmap" and "Roadmap.csv"): folder says which. */
const struct cache_item *cache_find_stem(const struct cache_listing *l,
					 const char *stem, bool folder);
const struct cache_item *cache_find_id(const struct cache_listing *l,
				       int64_t id);

/*
 * What getattr shows for (ref, fmt), without any request: *size is the held
 * content's length (in memory, or on disk when its modifiedAt matches
 * ref->mtime_s, the list's), or -1 when nothing is held (the caller then
 * shows 0). *mtime_s is set only when content is held. The size shown is
 * remembered: cache_open compares it with what it serves.
 */
void cache_peek(struct cache *c, const struct cache_ref *ref,
		enum render_fmt fmt, int64_t *size, int64_t *mtime_s);

/* The version of the content held for a sheet (its xattr); -1 when none
 * is held or for a report. */
int64_t cache_held_version(struct cache *c, int64_t id);

/*
 * The content of (ref, fmt) for an open file, validated or fetched as the
 * TTL says (a sheet: one GET /version after it, a fetch when changed; a
 * report, which has no version: fetched again after it). *out is a new
 * reference (cache_content_put). A refusal is remembered for ref->mtime_s
 * (cache_refused).
 * *keep_cache: the bytes are those of the previous open (the kernel's page
 * cache is still good). *direct_io: the size getattr last showed for this
 * file differs from the content's (the kernel must not trust it), so reads
 * must bypass the page cache.
 */
int cache_open(struct cache *c, const struct cache_ref *ref,
	       enum render_fmt fmt, struct cache_content **out,
	       bool *keep_cache, bool *direct_io) SSFS_WUR;
void cache_content_put(struct cache_content *ct);

/*
 * Make every file of a sheet exact before anyone reads it (warm-up,
 * read-ahead, sizes=exact). Nothing is requested when every rendering of
 * the listed modifiedAt is held (in memory or on disk), or, unless wait,
 * when another thread is already fetching the sheet (with wait: after that
 * thread is done, and only if it did not fetch it). Otherwise the sheet is
 * fetched, every format shown is rendered and kept (on disk when there is
 * a disk cache, else in memory), and size_changed is called when a size
 * getattr showed differs. The fetch goes at prio (speculative:
 * -ECANCELED at unmount). A sheet refused (403, 404) is not asked again
 * for the same modifiedAt: -EACCES at once.
 * Returns 0 (also when skipped) or a negative errno.
 */
int cache_prefetch(struct cache *c, const struct cache_ref *ref,
		   enum api_prio prio, bool wait);

/* Whether every rendering of the sheet or report is held for the listed
 * modifiedAt (in memory or on disk): cache_prefetch would request
 * nothing. */
bool cache_held(struct cache *c, const struct cache_ref *ref);

/*
 * Whether the server refused the sheet (403, or 404 while listed) at this
 * modifiedAt, through whichever path it was read: listings leave it out
 * until the list shows it modified (SPEC §3), and .auth/status counts such
 * sheets (cache_refused_count). With no modifiedAt known on one side (no
 * list held) a refusal stands.
 */
bool cache_refused(struct cache *c, const struct cache_ref *ref);
/* Sheets and reports refused. */
void cache_refused_count(struct cache *c, size_t *sheets, size_t *reports);

/* The disk cache is nearly full (false without one): the warm-up stops
 * rather than evict what readers use. */
bool cache_disk_nearly_full(struct cache *c);

/* A reference to the sheet list (or the report list) held now, without
 * any request; NULL when none was read yet. */
struct cache_listing *cache_listing_now(struct cache *c);
struct cache_listing *cache_reports_now(struct cache *c);

/* Forget everything held (SIGHUP). */
void cache_drop_all(struct cache *c);

/*
 * Who the credential belongs to ("Name <email>"), for .auth/status: set
 * from the mount's preflight (cache_set_user copies it), read again with
 * GET /users/me after a new credential (cache_refresh_user, which keeps
 * the old one when the request fails). cache_user_text appends it, or
 * "(unknown)". 0 or -ENOMEM.
 */
int cache_set_user(struct cache *c, const char *label) SSFS_WUR;
void cache_refresh_user(struct cache *c);
int cache_user_text(struct cache *c, struct sbuf *out) SSFS_WUR;

/* Append the cache's status lines (offline since, last error) to out. */
int cache_status(struct cache *c, struct sbuf *out) SSFS_WUR;

/* Record a request's failure or success for the status (used by ops). */
void cache_note_result(struct cache *c, int rc, const struct api_result *res);

#endif /* SSFS_CACHE_CACHE_H */
