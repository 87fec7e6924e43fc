#ifndef SSFS_RENDER_NAMES_H
#define SSFS_RENDER_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Names on the server -> names in a folder (SPEC §3, §7). Pure.
 *
 * A name's stem: '/' becomes U+FF0F, control characters (U+0000-U+001F,
 * U+007F) become '_', invalid UTF-8 bytes become U+FFFD (one per byte that
 * starts no well-formed sequence), and ".." / "." keep their dots (so a
 * file named ".." gives "...csv"). An empty name gives "_".
 *
 * In one folder, a file (a sheet or a report) takes its stem with each
 * extension in use, a folder (or workspace) its stem. When two entries
 * would take one name (two sheets, a sheet and a report, two folders, a
 * folder named like a file), every one of them gets " (<id>)": a file
 * before its extension, a folder at the end. A folder named "." or ".."
 * gets it too. When the stem would pass 255 bytes (with the longest
 * extension, for a file), it becomes "<cut> (<id>)", cut at a UTF-8
 * character boundary; the same cut applies when a duplicate's
 * "<stem> (<id>)" would not fit. An entry gets its id once.
 *
 * Names come out unique as long as ids are: when a name that carries its id
 * equals another entry's plain name (a sheet named "X (5)" beside two sheets
 * named "X", one with id 5), that other entry gets " (<id>)" too, and so on
 * until no two are equal. The result does not depend on the order of entries.
 */

#define NAMES_MAX_BYTES 255

struct names_entry {
	int64_t id;
	const char *name; /* the name on the server (borrowed) */
	bool folder;	  /* a folder or workspace: no extension */
	char *stem;	  /* out: new string, freed by names_release */
};

/* The extensions of files, with their dots: with and without -o ndjson. */
extern const char *const names_exts_default[]; /* .csv .json */
extern const char *const names_exts_ndjson[];  /* .csv .json .ndjson */

/* Fill entries[i].stem for all n entries of one folder; exts: the file
 * extensions in use (NULL-terminated; NULL: names_exts_default). 0 or
 * -ENOMEM. */
int names_assign(struct names_entry *entries, size_t n,
		 const char *const *exts) SSFS_WUR;
void names_release(struct names_entry *entries, size_t n);

/* The sanitized stem of one name, without the duplicate/length rules; a new
 * string, NULL when out of memory. */
char *names_sanitize(const char *name);

/*
 * The id of a by-id file name's stem, the inverse of how ids print: s[0..n)
 * must be a canonical decimal (digits only: no sign, no space, no leading
 * zero) of at most INT64_MAX. 0 and *id set; -EINVAL when s is not such a
 * decimal; -ERANGE when it is one above INT64_MAX. *id is written only on
 * success.
 */
int names_parse_id(const char *s, size_t n, int64_t *id) SSFS_WUR;

#endif /* SSFS_RENDER_NAMES_H */
