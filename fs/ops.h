#ifndef SSFS_FS_OPS_H
#define SSFS_FS_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * The FUSE callbacks (high-level API): path -> node -> cache call ->
 * errno, and the control files of .auth/. Translation only: no HTTP, no
 * JSON and no wiring here (cmd/mount.c builds what the context points to).
 *
 * Tree (SPEC §3):
 *   /sheets/<stem>.csv|.json   /by-id/<id>.csv|.json   /.auth/status ...
 */

struct fuse;
struct fuse_operations;
struct cache;
struct auth;
struct prefetch;
struct journal;

struct fsops_ctx {
	struct cache *cache;  /* borrowed */
	struct auth *auth;    /* borrowed */
	const char *api_base; /* borrowed */
	long ttl_s;
	time_t mounted_at;
	bool single_thread; /* -s: one thread serves every request */
	bool ndjson;	    /* -o ndjson: <name>.ndjson files too */
	bool sizes_exact;   /* -o sizes=exact: a stat waits for the content */
	/* -o write (SPEC §8): sheet files take edits and appends, scratch
	 * files up to scratch_max bytes in all; the journal behind
	 * .rejected/ (borrowed; NULL without write). */
	bool write;
	uint64_t scratch_max;
	struct journal *journal;
	/* Set by cmd/mount.c for the session's life, cleared before
	 * fuse_unmount: */
	struct fuse *fuse;	   /* for fsops_invalidate_sheet */
	struct prefetch *prefetch; /* for the status file; may be NULL */
};

/* The operations table; the fuse private data must be a struct fsops_ctx. */
const struct fuse_operations *fsops_table(void);

/*
 * The sizes the kernel holds for a sheet's (or report's) files are wrong:
 * drop its attributes (and pages), so the next stat asks again (cache hook
 * size_changed, installed by cmd/mount.c). Any thread: a FUSE callback
 * or a prefetch worker (where fuse_get_context() is NULL).
 */
void fsops_invalidate_sheet(struct fsops_ctx *x, int64_t id);

/* Ask the daemon to drop its caches (async-signal-safe: sets a flag that
 * the next operation acts on). */
void fsops_request_drop(void);

#endif /* SSFS_FS_OPS_H */
