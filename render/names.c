/*
 * Names on the server -> names in a folder (SPEC §3, §7): sanitized, made
 * unique over the folder's files and folders with the id, cut to fit 255
 * bytes; and back from a by-id name to its id.
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

/* The length of the longest extension in use (with its dot). */
static size_t ext_max_of(const char *const *exts)
{
	size_t m = 0, l;

	for (; exts && *exts; exts++) {
		l = strlen(*exts);
		if (l > m)
			m = l;
	}
	return m;
}

/*
 * Replace e->stem with "<cut> (<id>)", <cut> being the longest prefix of the
 * stem that ends at a character boundary and lets "<cut> (<id>)" fit in 255
 * bytes with room bytes to spare (the longest extension of a file; 0 for a
 * folder).
 */
static int add_id(struct names_entry *e, size_t room)
{
	char suffix[32];
	size_t len = strlen(e->stem), sl, budget;
	char *p;

	sl = (size_t)snprintf(suffix, sizeof(suffix), " (%" PRId64 ")", e->id);
	budget = NAMES_MAX_BYTES - room - sl;
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

/* One name an entry takes in its folder (a file takes one per extension),
 * and which entry takes it. */
struct slot {
	char *name;
	size_t idx;
};

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void free_slots(struct slot *slots, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(slots[i].name);
		slots[i].name = NULL;
	}
}

/* The names every entry takes now: a folder its stem, a file its stem with
 * each extension. *count: how many slots were filled. 0 or -ENOMEM. */
static int fill_slots(const struct names_entry *entries, size_t n,
		      const char *const *exts, struct slot *slots,
		      size_t *count)
{
	size_t i, k = 0;
	const char *const *x;

	for (i = 0; i < n; i++) {
		if (entries[i].folder) {
			slots[k].name = strdup(entries[i].stem);
			slots[k].idx = i;
			if (!slots[k++].name)
				goto nomem;
			continue;
		}
		for (x = exts; *x; x++) {
			if (asprintf(&slots[k].name, "%s%s", entries[i].stem,
				     *x) < 0) {
				slots[k].name = NULL;
				goto nomem;
			}
			slots[k++].idx = i;
		}
	}
	*count = k;
	return 0;
nomem:
	free_slots(slots, k);
	return -ENOMEM;
}

/*
 * One round: sort every name the entries take, and where two entries take
 * the same name give each of them that does not carry its id yet
 * " (<id>)". Sets *changed when it renamed any. Entries that already carry
 * their id are left alone, so a round never undoes an earlier one and the
 * rounds end: each renames at least one of the finite number of entries
 * without an id, or stops. Renamed stems of distinct ids differ, so only a
 * name that happens to look like a renamed one (a sheet named "X (5)"
 * beside two sheets named "X", one with id 5) takes a second round.
 */
static int dedup_round(struct names_entry *entries, size_t n,
		       const char *const *exts, struct slot *slots,
		       bool *has_id, bool *changed)
{
	size_t i, j, k, idx, count = 0, room = ext_max_of(exts);
	bool *hit = NULL;
	int rc;

	rc = fill_slots(entries, n, exts, slots, &count);
	if (rc)
		return rc;
	hit = calloc(n, sizeof(*hit));
	if (!hit) {
		rc = -ENOMEM;
		goto out;
	}
	qsort(slots, count, sizeof(*slots), cmp_slot);
	for (i = 0; i < count; i = j) {
		j = i + 1;
		while (j < count && strcmp(slots[i].name, slots[j].name) == 0)
			j++;
		/* Two entries or more on one name (one file takes each of
		 * its names once, so a group of one entry cannot happen). */
		for (k = i; j - i > 1 && k < j; k++)
			hit[slots[k].idx] = true;
	}
	*changed = false;
	for (idx = 0; idx < n && !rc; idx++) {
		if (!hit[idx] || has_id[idx])
			continue;
		rc = add_id(&entries[idx], entries[idx].folder ? 0 : room);
		has_id[idx] = true;
		*changed = true;
	}
out:
	free(hit);
	free_slots(slots, count);
	return rc;
}

const char *const names_exts_default[] = {".csv", ".json", NULL};
const char *const names_exts_ndjson[] = {".csv", ".json", ".ndjson", NULL};

int names_assign(struct names_entry *entries, size_t n,
		 const char *const *exts)
{
	struct slot *slots = NULL;
	bool *has_id = NULL;
	bool changed = true;
	size_t i, nexts = 0, room, len;
	int rc = -ENOMEM;

	if (!exts)
		exts = names_exts_default;
	while (exts[nexts])
		nexts++;
	room = ext_max_of(exts);
	for (i = 0; i < n; i++)
		entries[i].stem = NULL;
	if (n == 0)
		return 0;
	slots = calloc(n * (nexts ? nexts : 1), sizeof(*slots));
	has_id = calloc(n, sizeof(*has_id));
	if (!slots || !has_id)
		goto out;
	for (i = 0; i < n; i++) {
		entries[i].stem = names_sanitize(entries[i].name);
		if (!entries[i].stem) {
			rc = -ENOMEM;
			goto out;
		}
		len = strlen(entries[i].stem);
		/* A folder named "." or ".." would be this folder or its
		 * parent; one too long for 255 bytes cannot be: the id. */
		if (entries[i].folder
			? (strcmp(entries[i].stem, ".") == 0 ||
			   strcmp(entries[i].stem, "..") == 0 ||
			   len > NAMES_MAX_BYTES)
			: len + room > NAMES_MAX_BYTES) {
			rc = add_id(&entries[i],
				    entries[i].folder ? 0 : room);
			if (rc)
				goto out;
			has_id[i] = true;
		}
	}
	rc = 0;
	while (changed && !rc)
		rc = dedup_round(entries, n, exts, slots, has_id, &changed);
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
