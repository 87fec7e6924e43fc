#ifndef SSFS_CACHE_PREFETCH_H
#define SSFS_CACHE_PREFETCH_H

#include <stdint.h>

#include "util/compat.h"
#include "util/sbuf.h"

/*
 * Fetching what nobody asked for yet, so that sizes are exact before the
 * first read (rsync and tar trust them) and a reader walking the sheets in
 * order finds them fetched (grep -r). A small pool of threads works on:
 *
 * - read-ahead (API_PRIO_AHEAD): when a reader opens the sheets in list
 *   order, the next `ahead` sheets; and sheets whose listed modifiedAt is
 *   newer than what is held (getattr noticed), so their sizes are right
 *   soon after a change;
 * - the warm-up (API_PRIO_BACKGROUND): after the mount and after each new
 *   sheet list, every sheet whose two files are not held for the listed
 *   modifiedAt, paced at per_min sheets a minute.
 *
 * Both go through cache_prefetch: single-flight with readers, nothing
 * requested for what the memory or disk cache holds, and the kernel told
 * when a size it showed changes. The request window (http/ratelimit.c)
 * keeps a quarter of the budget for readers at all times, half while the
 * warm-up runs.
 */

struct cache;
struct cache_listing;
struct cache_ref;
struct cache_source;
struct prefetch;

struct prefetch_opts {
	int workers; /* threads, >= 1 */
	int per_min; /* warm-up pace in sheets a minute; 0: no warm-up */
	int ahead;   /* read-ahead depth in sheets; 0: no read-ahead */
};

/* A prefetcher with no thread yet; NULL when out of memory. */
/* src (copied; what it points to is borrowed) gives the request window
 * and the clock. */
struct prefetch *prefetch_new(struct cache *c, const struct cache_source *src,
			      const struct prefetch_opts *o);

/* Start the threads (after daemonizing, and once the hooks can reach p).
 * 0, or -EAGAIN when not one thread could be started. */
int prefetch_start(struct prefetch *p) SSFS_WUR;

/* Cancels what is in flight, joins the threads and frees p (NULL is
 * fine). */
void prefetch_stop(struct prefetch *p);

/*
 * sizes=exact (SPEC §3): fetch every sheet of l that is not held, several
 * at once (the pool's threads) at readers' priority, and return when all
 * are done (each held, or refused, or failed): a listing calls it before
 * it names the files, so the stats that follow find the content held and
 * a sheet the server refuses is left out. l is borrowed for the call. A
 * second caller with the same l joins the batch; with another, it waits
 * its turn. 0, or -ECANCELED at unmount. NULL p does nothing.
 */
int prefetch_exact(struct prefetch *p, const struct cache_listing *l);

/* The cache's hooks (struct cache_hooks) forward here: a new sheet or
 * report list; a file whose held content is older than its list. */
void prefetch_listing_changed(struct prefetch *p);
void prefetch_soon(struct prefetch *p, const struct cache_ref *ref);
/* fs/ tells it a reader opened the file of entry index of folder l
 * (borrowed for the call): read-ahead follows readers through folders. */
void prefetch_opened(struct prefetch *p, const struct cache_listing *l,
		     size_t index);

/* Lines for .auth/status: what the warm-up has done. */
int prefetch_status(struct prefetch *p, struct sbuf *out) SSFS_WUR;

#endif /* SSFS_CACHE_PREFETCH_H */
