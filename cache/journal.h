#ifndef SSFS_CACHE_JOURNAL_H
#define SSFS_CACHE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/compat.h"

/*
 * What a save must never lose (SPEC §8): the user's text is on disk before
 * the first request of a save, and stays there, as a rejected file, when
 * the save fails or the daemon dies during it.
 *
 * The state folder (not the evictable cache folder) holds two folders,
 * both 0700 and ours: journal/ (saves in progress: "<key>.meta", the file's
 * path in the mount, written first; then "<key>.data", the text) and
 * rejected/ (texts of failed saves, named "<name> <UTC time>.<ext>", shown
 * as .rejected/ at the mount root and kept until removed). Files are 0600
 * and fsynced, with their folder, before a function returns.
 *
 * Thread-safe: names are unique per call (a counter under a lock), and
 * every step is a rename or an unlink of its own files.
 */

struct journal;

/* A save in progress (journal_begin until journal_commit/_reject). */
struct journal_entry;

/*
 * Open (creating) journal/ and rejected/ under dir. NULL with err filled
 * ("<path>: <what is wrong>"): a path that is not a folder, a folder of
 * another user or one that others may write.
 */
struct journal *journal_open(const char *dir, char *err, size_t errlen);
void journal_close(struct journal *j);

/*
 * The text of a save about to start, on disk: path is the file's path in
 * the mount ("sheets/Todo.csv"), which names the rejected file if it
 * comes to that. 0 and *out, or -errno (nothing was written: the save
 * must not start).
 */
int journal_begin(struct journal *j, const char *path, const void *text,
		  size_t len, struct journal_entry **out) SSFS_WUR;

/*
 * Forget e and leave its files where they are, as a crash would: the
 * next journal_recover turns the text into a rejected file. Frees e.
 */
void journal_entry_drop(struct journal_entry *e);

/* The save landed: the text is removed. Frees e. */
void journal_commit(struct journal *j, struct journal_entry *e);

/*
 * The save failed: the text becomes a rejected file. 0 with its name in
 * name (the name under .rejected/), or -errno (the text stays in
 * journal/, where the next mount finds it). Frees e either way.
 */
int journal_reject(struct journal *j, struct journal_entry *e, char *name,
		   size_t namelen) SSFS_WUR;

/*
 * Keep text that no save was begun for (an append rejected before any
 * request): straight to rejected/. 0 and name, or -errno.
 */
int journal_keep(struct journal *j, const char *path, const void *text,
		 size_t len, char *name, size_t namelen) SSFS_WUR;

/*
 * At mount: every save left in journal/ by a daemon that stopped during it
 * becomes a rejected file. found(ctx, path, name) is called for each (path
 * as given to journal_begin). Returns how many, or -errno.
 */
int journal_recover(struct journal *j,
		    void (*found)(void *ctx, const char *path,
				  const char *name),
		    void *ctx);

/* The rejected files, sorted by name: a NULL-terminated array of new
 * strings (journal_names_free), or NULL when out of memory or on error. */
char **journal_rejected(struct journal *j);
void journal_names_free(char **names);

/* stat of one rejected file; 0 or -errno (-ENOENT: no such name). */
int journal_rejected_stat(struct journal *j, const char *name,
			  struct stat *st) SSFS_WUR;

/* A read-only descriptor of one rejected file (the caller closes it), or
 * -errno. */
int journal_rejected_open(struct journal *j, const char *name) SSFS_WUR;

/* rm of one rejected file: 0 or -errno. */
int journal_rejected_remove(struct journal *j, const char *name) SSFS_WUR;

#endif /* SSFS_CACHE_JOURNAL_H */
