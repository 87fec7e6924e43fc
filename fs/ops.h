#ifndef SSFS_FS_OPS_H
#define SSFS_FS_OPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cache/prefetch.h"

/*
 * The FUSE callbacks (high-level API): path -> cache lookup -> content,
 * and the .auth/ control files. Translation only: no HTTP, no JSON here.
 *
 * Tree (SPEC §3):
 *   /sheets/<stem>.csv|.json   /by-id/<id>.csv|.json   /.auth/status
 */

struct fuse;
struct fuse_operations;
struct cache;
struct auth;
struct api;

struct fsops_ctx {
	struct cache *cache;   /* borrowed */
	struct auth *auth;     /* borrowed */
	struct api *api;       /* borrowed */
	const char *api_base;  /* borrowed */
	pthread_mutex_t user_lock;
	char *user;            /* "Name <email>" from /users/me, or NULL;
				* user_lock (set again after an OAuth
				* authorization) */
	long ttl_s;
	time_t mounted_at;
	struct prefetch_opts prefetch_opts; /* warm-up and read-ahead */
	bool single_thread;    /* -s: one thread serves every request */
	/* set by init, for the session's life */
	struct prefetch *prefetch; /* NULL when both are off */
	struct fuse *fuse;
};

/* The operations table; the fuse private data must be a struct fsops_ctx. */
const struct fuse_operations *fsops_table(void);

/*
 * The session loop returned: stop the prefetch threads and unhook the
 * cache, so that nothing calls into libfuse once fuse_unmount and
 * fuse_destroy (which frees libfuse's path tables before it calls our
 * destroy) begin. Call it from the thread that ran the loop.
 */
void fsops_session_ended(struct fsops_ctx *x);

/* Ask the daemon to drop its caches (async-signal-safe: sets a flag that
 * the next operation acts on). */
void fsops_request_drop(void);

#endif /* SSFS_FS_OPS_H */
