#ifndef SSFS_CACHE_LISTING_H
#define SSFS_CACHE_LISTING_H

/*
 * Inside cache/: the sheet list's pieces (cache/listing.c) that
 * cache/cache.c uses. Not for other modules.
 */

#include "cache/cache.h"
#include "util/compat.h"

struct diskcache;
struct model_sheet_list;

/* A listing (refs 1) from the API's list: names assigned, sorted by stem
 * and by id. 0 or -ENOMEM. */
int listing_build(const struct model_sheet_list *list,
		  struct cache_listing **out) SSFS_WUR;
void listing_free(struct cache_listing *l);

/* The list on disk, so that a mount that starts offline still has names
 * for what the disk cache holds (disk may be NULL: nothing is kept). */
void listing_store_on_disk(struct diskcache *disk,
			   const struct model_sheet_list *list);
/* 0 with *list filled, or a negative errno (-EBADMSG when damaged). */
int listing_load_from_disk(struct diskcache *disk,
			   struct model_sheet_list *list) SSFS_WUR;

#endif /* SSFS_CACHE_LISTING_H */
