#ifndef SSFS_CACHE_SOURCE_H
#define SSFS_CACHE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/rows.h"
#include "cache/cache.h"

/*
 * Where the cache and the prefetcher get what they hold, and their clock:
 * the Smartsheet API in the daemon (cache_source_api), a fake in the unit
 * tests (tests/unit/test_cache.c, test_prefetch.c). Every operation may be
 * called from any thread at once. The fetching calls return 0 or a
 * negative errno and fill *res (what the server said); the priority is the
 * request window's (speculative ones fail with -ECANCELED once cancelled).
 */

struct api;
struct model_sheet;
struct model_sheet_list;
struct model_user;

struct cache_source_ops {
	/* A folder's entries: the sheet list, the reports, the workspaces,
	 * a workspace's or folder's children (dir, with its id). */
	int (*list_dir)(void *ctx, enum cache_dir dir, int64_t dir_id,
			enum api_prio prio, struct model_sheet_list *out,
			struct api_result *res);
	int (*get_sheet)(void *ctx, int64_t id, enum api_prio prio,
			 struct model_sheet **out, struct api_result *res);
	/* A report, every page, as one model (is_report set). */
	int (*get_report)(void *ctx, int64_t id, enum api_prio prio,
			  struct model_sheet **out, struct api_result *res);
	int (*get_version)(void *ctx, int64_t id, enum api_prio prio,
			   int64_t *version, struct api_result *res);
	int (*get_user)(void *ctx, struct model_user *out,
			struct api_result *res);
	/* The request window, for the prefetcher: wait until a request of
	 * prio could go (0 or -ECANCELED), the warm-up's pace, cancel or
	 * allow speculative requests, requests in the last window (-1: no
	 * limit). */
	int (*wait_room)(void *ctx, enum api_prio prio);
	void (*set_background_rate)(void *ctx, int per_min);
	void (*cancel_speculative)(void *ctx, bool on);
	int (*window_count)(void *ctx);
	/* Seconds: monotonic (TTLs, backoff) and wall clock (the status). */
	double (*mono_s)(void *ctx);
	double (*wall_s)(void *ctx);
	/*
	 * Write-back (cache/save.h): one row write of sheet id, as
	 * api_rows_write (ans always set: the caller releases it; errno and
	 * maybe_applied as api/rows.h says), and whether the credential may
	 * write rows at all (api_may_write: why says why not). NULL
	 * write_rows: this source cannot write (every save is -EROFS); NULL
	 * may_write: it may.
	 */
	int (*write_rows)(void *ctx, int64_t id, enum api_rows_op op,
			  const char *body, size_t len,
			  struct api_rows_answer *ans, struct api_result *res);
	bool (*may_write)(void *ctx, char *why, size_t len);
};

struct cache_source {
	const struct cache_source_ops *ops;
	void *ctx;
};

/*
 * The daemon's source: api for the requests and the request window
 * (borrowed), the system clocks. The struct is the caller's and must
 * outlive every user of s->source.
 */
struct cache_api_source {
	struct cache_source source;
	struct api *api;
};
void cache_api_source_init(struct cache_api_source *s, struct api *api);

#endif /* SSFS_CACHE_SOURCE_H */
