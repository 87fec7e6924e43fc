/*
 * Sheet names -> file names (SPEC §3): sanitized stems, made unique with the
 * sheet id and cut to fit 255 bytes; and back from a by-id name to its id.
 * Pure: no I/O, no locks, no state; any thread may call it.
 */
#include "render/names.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/*
 * The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when s
 * does not start one (a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, a cut-off sequence). The checks
 * stop at the first bad byte, so a NUL is never read past.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

char *names_sanitize(const char *name)
{
	const unsigned char *p = (const unsigned char *)(name ? name : "");
	size_t n = strlen((const char *)p), k;
	char *out, *w;

	/* Each input byte gives at most 3 output bytes (U+FF0F, U+FFFD). */
	out = malloc(3 * n + 2);
	if (!out)
		return NULL;
	w = out;
	while (*p) {
		k = utf8_len(p);
		if (k == 0) {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			p++;
		} else if (*p == '/') {
			memcpy(w, "\xef\xbc\x8f", 3);
			w += 3;
			p++;
		} else if (*p < 0x20 || *p == 0x7F) {
			*w++ = '_';
			p++;
		} else {
			memcpy(w, p, k);
			w += k;
			p += k;
		}
	}
	if (w == out)
		*w++ = '_';
	*w = '\0';
	return out;
}

/*
 * Replace e->stem with "<cut> (<id>)", <cut> being the longest prefix of the
 * stem that ends at a character boundary and lets "<cut> (<id>)" and the
 * longest extension in use (ext_max bytes: ".json", or ".ndjson") fit.
 */
static int add_id(struct names_entry *e, size_t ext_max)
{
	char suffix[32];
	size_t len = strlen(e->stem), sl, budget;
	char *p;

	sl = (size_t)snprintf(suffix, sizeof(suffix), " (%" PRId64 ")", e->id);
	budget = NAMES_MAX_BYTES - ext_max - sl;
	if (len > budget) {
		len = budget;
		/* The stem is valid UTF-8: step back off continuation bytes. */
		while (len > 0 && ((unsigned char)e->stem[len] & 0xC0) == 0x80)
			len--;
	}
	p = malloc(len + sl + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, e->stem, len);
	memcpy(p + len, suffix, sl + 1);
	free(e->stem);
	e->stem = p;
	return 0;
}

/* One entry in a round's sort: its stem and where it sits in entries[]. */
struct slot {
	const char *stem;
	size_t idx;
};

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	int c = strcmp(x->stem, y->stem);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * One round: sort by stem, and in every group of equal stems give each
 * entry that does not carry its id yet " (<id>)". Sets *changed when it
 * renamed any. Entries that already carry their id are left alone, so a
 * round never undoes an earlier one and the rounds end: each renames at least
 * one of the finite number of entries without an id, or stops. Renamed stems
 * of distinct ids differ, so only a name that happens to look like a renamed
 * one (a sheet named "X (5)" beside two sheets named "X", one with id 5) takes
 * a second round.
 */
static int dedup_round(struct names_entry *entries, size_t n,
		       struct slot *slots, bool *has_id, size_t ext_max,
		       bool *changed)
{
	size_t i, j, k, idx;
	int rc;

	for (i = 0; i < n; i++) {
		slots[i].stem = entries[i].stem;
		slots[i].idx = i;
	}
	qsort(slots, n, sizeof(*slots), cmp_slot);
	*changed = false;
	for (i = 0; i < n; i = j) {
		j = i + 1;
		while (j < n && strcmp(slots[i].stem, slots[j].stem) == 0)
			j++;
		if (j - i < 2)
			continue;
		/* add_id() frees stems: this group's slots are done with. */
		for (k = i; k < j; k++) {
			idx = slots[k].idx;
			if (has_id[idx])
				continue;
			rc = add_id(&entries[idx], ext_max);
			if (rc)
				return rc;
			has_id[idx] = true;
			*changed = true;
		}
	}
	return 0;
}

int names_assign(struct names_entry *entries, size_t n, size_t ext_max)
{
	struct slot *slots = NULL;
	bool *has_id = NULL;
	bool changed = true;
	size_t i;
	int rc = -ENOMEM;

	for (i = 0; i < n; i++)
		entries[i].stem = NULL;
	if (n == 0)
		return 0;
	slots = calloc(n, sizeof(*slots));
	has_id = calloc(n, sizeof(*has_id));
	if (!slots || !has_id)
		goto out;
	for (i = 0; i < n; i++) {
		entries[i].stem = names_sanitize(entries[i].name);
		if (!entries[i].stem) {
			rc = -ENOMEM;
			goto out;
		}
		if (strlen(entries[i].stem) + ext_max > NAMES_MAX_BYTES) {
			rc = add_id(&entries[i], ext_max);
			if (rc)
				goto out;
			has_id[i] = true;
		}
	}
	rc = 0;
	while (changed && !rc)
		rc = dedup_round(entries, n, slots, has_id, ext_max, &changed);
out:
	if (rc)
		names_release(entries, n);
	free(has_id);
	free(slots);
	return rc;
}

void names_release(struct names_entry *entries, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(entries[i].stem);
		entries[i].stem = NULL;
	}
}

int names_parse_id(const char *s, size_t n, int64_t *id)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*id = (int64_t)v;
	return 0;
}
