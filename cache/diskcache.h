#ifndef SSFS_CACHE_DISKCACHE_H
#define SSFS_CACHE_DISKCACHE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * The on-disk cache of rendered sheet files (SPEC §6): pure file logic, no
 * HTTP and no FUSE.
 *
 * Layout: dir/<ns>/<id>.<variant>, one file per entry, mode 0600, holding
 * one text line
 *	"smartsheetfs-cache 1 <version> <mtime_s> <size> <sha256hex>\n"
 * then exactly <size> bytes of content. Anything else is damage: the call
 * that finds it returns -EBADMSG and removes the file.
 *
 * Concurrency: every function may be called from any thread (one mutex per
 * handle; reading and writing entry content happen outside it). Two
 * processes may share a folder: entries are written to
 * "<id>.<variant>.tmp.<pid>.<seq>" and renamed into place, so a reader sees
 * the old or the new complete file, never a half one. Temporary files older
 * than DISKCACHE_TMP_STALE_S are left-overs of a crash and removed by
 * diskcache_open() and by eviction.
 *
 * LRU: the "last used" time of an entry is its file's mtime, set by
 * diskcache_put() and diskcache_get() (futimens), so it survives a remount.
 * Within one handle the stamps strictly increase even when the clock does
 * not move between two calls; entries with equal stamps (two processes)
 * are evicted in name order.
 *
 * Sizes: the cap and diskcache_usage() count whole files (header line and
 * content).
 */

struct diskcache;

/* Longest variant and namespace names accepted. */
#define DISKCACHE_VARIANT_MAX 32
#define DISKCACHE_NS_MAX 64
/* A temporary file this old (seconds) is a crash's left-over. */
#define DISKCACHE_TMP_STALE_S 60

/*
 * Open (create) the cache under dir for one namespace (an account: the
 * caller passes a short hex string, e.g. 16 hex chars; the files live in
 * dir/<namespace>/). dir and dir/<namespace> are created 0700 (parents
 * too); an existing dir that is not a directory, not owned by us, or
 * writable by group/others is refused (-EACCES/-ENOTDIR with a message
 * saying how to fix it). max_bytes caps the total size of the namespace's
 * files (0: no cap). NULL + message on failure; *rc_out gets the errno.
 *
 * ns is 1..DISKCACHE_NS_MAX letters, digits or '-' (else -EINVAL). The
 * folder is scanned once to compute the usage; stale temporary files are
 * removed. err (errlen bytes, may be NULL/0) and rc_out (negative errno,
 * may be NULL) are written only on failure. Returns a new handle, freed by
 * diskcache_close().
 */
struct diskcache *diskcache_open(const char *dir, const char *ns,
				 uint64_t max_bytes, char *err, size_t errlen,
				 int *rc_out);
/* Frees d; NULL does nothing. No other call on d may be running. */
void diskcache_close(struct diskcache *d);

/* What is stored with each entry. */
struct diskcache_meta {
	int64_t version; /* the sheet's version; -1 for a report (none) */
	int64_t mtime_s; /* the sheet's modifiedAt, Unix seconds */
	uint64_t size;	 /* bytes of content */
};

/*
 * The entry for (id, variant) — variant names the rendering, e.g.
 * "csv-raw-lf", "json" (1..DISKCACHE_VARIANT_MAX letters, digits, '-'
 * only; else -EINVAL).
 *
 * peek reads only the header (one open, fstat and read of at most 256
 * bytes): for sizes in getattr. It also checks that the file's size
 * matches the header, so a size it returns is exact.
 * get reads the whole content and verifies its SHA-256 against the header,
 * then marks the entry as used (file mtime, see LRU above).
 * Both: 0, or -ENOENT when absent, -EBADMSG when the file is damaged (bad
 * header, short or long file, hash mismatch: the file is removed, so the
 * next call gives -ENOENT), -ENOMEM, or another negative errno of the
 * file system. *meta (and *data) are written only on success; *data is a
 * new malloc'd buffer of meta->size + 1 bytes, NUL-terminated; the caller
 * frees it.
 */
int diskcache_peek(struct diskcache *d, int64_t id, const char *variant,
		   struct diskcache_meta *meta) SSFS_WUR;
int diskcache_get(struct diskcache *d, int64_t id, const char *variant,
		  struct diskcache_meta *meta, char **data) SSFS_WUR;

/*
 * Store meta->size bytes of data (borrowed; may be NULL when the size is
 * 0) for (id, variant), replacing any older entry, atomically (temporary
 * file created O_EXCL 0600 in the same folder, written, renamed; no fsync:
 * it is a cache). Then, if the namespace is over max_bytes, rescan the
 * folder and evict least recently used entries (never the one just
 * written) until it is under the cap; entries of other processes sharing
 * the folder count and may be evicted.
 *
 * Returns 0 (also when eviction failed: it is logged and retried on the
 * next put), -EINVAL (bad variant), -EFBIG (the file would be bigger than
 * max_bytes: nothing is stored), or the file system's error (-ENOSPC,
 * -EROFS...): then the old entry is intact and no temporary file is left.
 */
int diskcache_put(struct diskcache *d, int64_t id, const char *variant,
		  const struct diskcache_meta *meta, const char *data) SSFS_WUR;

/* Forget every variant of a sheet (deleted on the server). */
void diskcache_drop(struct diskcache *d, int64_t id);

/*
 * Bytes used by the namespace (as last computed: by the scan at open and
 * at each eviction, kept up to date by this handle's put/drop/evict) and
 * the entry count. Either pointer may be NULL.
 */
void diskcache_usage(struct diskcache *d, uint64_t *bytes, uint64_t *entries);

/* The namespace holds 90 % of max_bytes or more: filling it further would
 * evict what readers use (the warm-up stops there). */
bool diskcache_nearly_full(struct diskcache *d);

#endif /* SSFS_CACHE_DISKCACHE_H */
