#ifndef SSFS_CACHE_LISTING_H
#define SSFS_CACHE_LISTING_H

/*
 * Inside cache/: the sheet list's pieces (cache/listing.c) that the rest of
 * cache/ uses. Not for other modules.
 */

#include "cache/cache.h"
#include "util/compat.h"

struct diskcache;
struct model_sheet_list;

/* A listing (refs 1) from the API's list: names assigned (with the file
 * extensions in use, exts, as names_assign takes them), sorted by stem and
 * by id. 0 or -ENOMEM. */
int cache_listing_build(const struct model_sheet_list *list,
			const char *const *exts,
			struct cache_listing **out) SSFS_WUR;
void cache_listing_free(struct cache_listing *l);

/* A folder's list on disk, read from the server at read_at (wall-clock
 * seconds), so that a remount shows it at once while it is younger than
 * cache_ttl, and a mount that starts offline still has names for what the
 * disk cache holds (disk may be NULL: nothing is kept). */
void cache_listing_store(struct diskcache *disk, enum cache_dir dir,
			 int64_t dir_id, const struct model_sheet_list *list,
			 int64_t read_at);
/* 0 with *list filled and *read_at set (0: unknown, a file of an older
 * daemon), or a negative errno (-EBADMSG when damaged). */
int cache_listing_load(struct diskcache *disk, enum cache_dir dir,
		       int64_t dir_id, struct model_sheet_list *list,
		       int64_t *read_at) SSFS_WUR;

#endif /* SSFS_CACHE_LISTING_H */
