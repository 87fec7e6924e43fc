#ifndef SSFS_CMD_MOUNT_H
#define SSFS_CMD_MOUNT_H

#include <stdbool.h>

#include "cache/prefetch.h"

/*
 * The mount (cmd/mount.c): everything from a loaded configuration to the
 * end of the FUSE session.
 */

struct cfg;
struct fuse_args;

struct mount_opts {
	const char *mountpoint; /* borrowed */
	const char *cache_dir;	/* cache_dir=, or NULL: the default */
	const char *cache_max;	/* cache_max=, or NULL: 1G */
	bool nodiskcache;
	bool ndjson;	  /* -o ndjson: <name>.ndjson files too */
	bool bom;	  /* -o bom: CSV files start with a UTF-8 BOM */
	bool sizes_exact; /* -o sizes=exact: a stat waits for the content */
	bool write;	  /* -o write, or Write = true: write-back */
	const char *scratch_max; /* scratch_max=, or NULL: 256M */
	const char *state_dir;	 /* state_dir=, or NULL: the default */
	struct prefetch_opts prefetch; /* warm-up and read-ahead */
};

/*
 * Mount cfg's account on mo->mountpoint with the FUSE options in args
 * (the mount point and our subtype are added) and serve until unmounted.
 * Call after curl_global_init(), on the main thread. Returns the exit
 * status of SPEC §1 (EXIT_* of cmd/cli.h).
 */
int mount_main(struct fuse_args *args, const struct cfg *cfg,
	       const struct mount_opts *mo);

#endif /* SSFS_CMD_MOUNT_H */
