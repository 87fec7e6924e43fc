#ifndef SSFS_CACHE_SAVE_H
#define SSFS_CACHE_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "render/render.h"
#include "util/compat.h"

/*
 * Write-back (SPEC §8): saving a whole new text of a sheet file, and
 * appending records to a sheet's CSV. The layer between fs/ (which buffers
 * what the user writes and decides when a save happens) and edit/ (pure:
 * text to rows, the row diff, request bodies) and api/rows.h (the
 * requests).
 *
 * Every save and append:
 *  - keeps the user's text on disk (cache/journal.h) before its first
 *    request, and turns it into a rejected file (.rejected/) when it fails;
 *  - adds one line to the status ring (cache/savelog.h, .status) and logs
 *    it;
 *  - runs alone for its sheet (a per-sheet write lock: a second save of
 *    the same sheet waits for the first);
 *  - leaves the cache holding the sheet's state after it (success or
 *    failure: the sheet is read again at API_PRIO_USER), and calls the
 *    size_changed hook so the kernel forgets the old sizes.
 *
 * Thread-safe; called from FUSE worker threads (never the main thread,
 * never a prefetch worker). Returns 0 or a negative errno as SPEC §5/§8
 * say: -EINVAL (the text is refused: names the line and column in the
 * status), -ESTALE (the sheet changed since the base), -EACCES, -ENOENT,
 * -EBUSY, -ETIMEDOUT, -EIO, -ENOMEM, -EROFS (write-back not enabled).
 */

struct journal;
struct savelog;

/*
 * Turn write-back on: j (borrowed, outlives the cache) keeps the texts.
 * Set once, before FUSE threads start. Without it every save is -EROFS.
 */
void cache_enable_write(struct cache *c, struct journal *j);
bool cache_write_enabled(struct cache *c);

/* The status ring behind .status (owned by the cache; never NULL). */
struct savelog *cache_savelog(struct cache *c);

/*
 * The version of sheet id this mount last served to a reader (the content
 * cache_open returned), 0 when none was served: an edit's base, taken by
 * fs/ when the edit begins (open with O_TRUNC, truncate to 0, the first
 * write of a scratch file later renamed over the sheet's file). After a
 * successful save it is the version that save produced (the file holds
 * the text saved): a handle that saves again (a flush, then more writes
 * and a release) should take its base again after each save, else its
 * second save is ESTALE.
 */
int64_t cache_served_version(struct cache *c, int64_t id);

/*
 * Save text (the whole new content of the sheet's file in format fmt:
 * RENDER_FMT_CSV or RENDER_FMT_JSON) to sheet ref->id. path is the file's path in
 * the mount ("sheets/Todo.csv"), for the status, the log and the rejected
 * file's name. base is the edit's base version (0: the version held now).
 * SPEC §8 steps 1-6: parse, check the version (ESTALE), diff, send,
 * refetch. The text is copied into the journal; the caller keeps it.
 * Requests: one version check when the model of version base is held (the
 * one the reader was served), else one GET of the sheet (which is the
 * check); none when a newer version is held already (-ESTALE); then the
 * writes, then one GET (the re-read) when any write went out. -EROFS
 * leaves no status line; every other outcome adds one, and a refused text
 * (also -EACCES: the credential may not write) is kept as a rejected file.
 */
int cache_save(struct cache *c, const struct cache_ref *ref,
	       enum render_fmt fmt, const char *path, int64_t base,
	       const char *text, size_t len) SSFS_WUR;

/*
 * An append session (a .csv opened with O_APPEND, or written at its end):
 * each cache_append_write that completes one or more records adds them at
 * the bottom of the sheet (at most 500 rows a request, toBottom) before it
 * returns; a write that carries a rejected record fails with its errno and
 * none of its records is added. cache_append_close sends a last record
 * without a line end, fails with -EINVAL when a quote is left open, and
 * frees a. A record with more fields than columns is -EINVAL.
 * Open takes the sheet's columns from the model the cache holds (else one
 * GET); -EROFS or -EACCES as cache_save. A write that completes no record
 * sends nothing. After a record is refused, every later write of the
 * session fails with the same errno (its bytes kept as rejected too) and
 * close returns 0. Close reads the sheet again when rows went out (each
 * batch already makes the next open revalidate). Every batch sent or
 * refused adds a status line.
 */
struct cache_append;
int cache_append_open(struct cache *c, const struct cache_ref *ref,
		      const char *path, struct cache_append **out) SSFS_WUR;
int cache_append_write(struct cache_append *a, const char *buf,
		       size_t len) SSFS_WUR;
int cache_append_close(struct cache_append *a) SSFS_WUR;

#endif /* SSFS_CACHE_SAVE_H */
