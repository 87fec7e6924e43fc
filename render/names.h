#ifndef SSFS_RENDER_NAMES_H
#define SSFS_RENDER_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Sheet names -> file names (SPEC §3). Pure.
 *
 * A name's stem: '/' becomes U+FF0F, control characters (U+0000-U+001F,
 * U+007F) become '_', invalid UTF-8 bytes become U+FFFD (one per byte that
 * starts no well-formed sequence), and ".." / "." keep their dots (so ".."
 * gives "...csv"). An empty name gives "_". When two or more entries have the
 * same stem, every one of them becomes "<stem> (<id>)". When the stem with
 * the longest extension in use (".json"; ".ndjson" with -o ndjson) would
 * pass 255 bytes, the stem becomes "<cut> (<id>)", cut at a UTF-8
 * character boundary so that "<cut> (<id>)" and that extension fit; the
 * same cut applies when a duplicate's "<stem> (<id>)" would not fit. An
 * entry gets its id once.
 *
 * Stems come out unique as long as ids are: when a stem that carries its id
 * equals another entry's plain stem (a sheet named "X (5)" beside two sheets
 * named "X", one with id 5), that other entry gets " (<id>)" too, and so on
 * until no two are equal. The result does not depend on the order of entries.
 */

#define NAMES_MAX_BYTES 255

struct names_entry {
	int64_t id;
	const char *name; /* the sheet's name (borrowed) */
	char *stem;	  /* out: new string, freed by names_release */
};

/* The extensions' lengths with the dot, for names_assign's ext_max. */
#define NAMES_EXT_JSON 5
#define NAMES_EXT_NDJSON 7

/* Fill entries[i].stem for all n entries; ext_max: the byte length of the
 * longest extension in use, dot included. 0 or -ENOMEM. */
int names_assign(struct names_entry *entries, size_t n,
		 size_t ext_max) SSFS_WUR;
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
