/*
 * Longest common and increasing subsequences (edit/lcs.h): Hunt-Szymanski
 * over the rows left between the common head and tail, with a bounded
 * fallback for texts full of duplicate rows. Pure; any thread.
 */
#include "edit/lcs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A link of a candidate subsequence: pair (i, j) after pair prev. */
struct link {
	uint32_t i, j;
	int32_t prev;
};

/* First k in t[0..len) with t[k] >= x. */
static size_t lower_bound(const uint32_t *t, size_t len, uint32_t x)
{
	size_t lo = 0, hi = len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int edit_lis(const uint32_t *v, size_t n, bool *keep)
{
	uint32_t *tail = malloc((n + 1) * sizeof(*tail));
	int32_t *at = malloc((n + 1) * sizeof(*at));
	int32_t *prev = malloc((n + 1) * sizeof(*prev));
	size_t len = 0, i, k;
	int32_t x;
	int rc = -ENOMEM;

	if (!tail || !at || !prev)
		goto out;
	memset(keep, 0, n * sizeof(*keep));
	for (i = 0; i < n; i++) {
		if (v[i] == EDIT_LCS_NONE)
			continue;
		k = lower_bound(tail, len, v[i]);
		tail[k] = v[i];
		at[k] = (int32_t)i;
		prev[i] = k ? at[k - 1] : -1;
		if (k == len)
			len++;
	}
	for (x = len ? at[len - 1] : -1; x >= 0; x = prev[x])
		keep[x] = true;
	rc = 0;
out:
	free(tail);
	free(at);
	free(prev);
	return rc;
}

/* The fallback: the k-th copy of a class in b with its k-th copy in a,
 * then the longest increasing run of those. */
static int by_copies(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
		     const uint32_t *start, const uint32_t *pos,
		     uint32_t nclasses, uint32_t *b_to_a)
{
	uint32_t *used = calloc(nclasses ? nclasses : 1, sizeof(*used));
	uint32_t *v = malloc((nb + 1) * sizeof(*v));
	bool *keep = malloc((nb + 1) * sizeof(*keep));
	size_t j;
	int rc = -ENOMEM;

	(void)a;
	(void)na;
	if (!used || !v || !keep)
		goto out;
	for (j = 0; j < nb; j++) {
		uint32_t c = b[j];

		v[j] = EDIT_LCS_NONE;
		if (c == EDIT_LCS_NONE || used[c] == start[c + 1] - start[c])
			continue;
		v[j] = pos[start[c] + used[c]++];
	}
	rc = edit_lis(v, nb, keep);
	for (j = 0; !rc && j < nb; j++)
		b_to_a[j] = keep[j] ? v[j] : EDIT_LCS_NONE;
out:
	free(used);
	free(v);
	free(keep);
	return rc;
}

/* Hunt-Szymanski on the middle; start/pos: a's positions by class. */
static int hunt(const uint32_t *b, size_t nb, const uint32_t *start,
		const uint32_t *pos, size_t npairs, uint32_t *b_to_a)
{
	uint32_t *thr = malloc((nb + 1) * sizeof(*thr));
	int32_t *tlink = malloc((nb + 1) * sizeof(*tlink));
	struct link *l = malloc((npairs + 1) * sizeof(*l));
	size_t len = 0, nl = 0, j, k;
	int32_t x;
	int rc = -ENOMEM;

	if (!thr || !tlink || !l)
		goto out;
	for (j = 0; j < nb; j++) {
		uint32_t c = b[j], q;

		if (c == EDIT_LCS_NONE)
			continue;
		/* a's positions of this class, last first. */
		for (q = start[c + 1]; q > start[c]; q--) {
			uint32_t i = pos[q - 1];

			k = lower_bound(thr, len, i);
			if (k < len && thr[k] == i)
				continue;
			thr[k] = i;
			l[nl].i = i;
			l[nl].j = (uint32_t)j;
			l[nl].prev = k ? tlink[k - 1] : -1;
			tlink[k] = (int32_t)nl++;
			if (k == len)
				len++;
		}
	}
	for (x = len ? tlink[len - 1] : -1; x >= 0; x = l[x].prev)
		b_to_a[l[x].j] = l[x].i;
	rc = 0;
out:
	free(thr);
	free(tlink);
	free(l);
	return rc;
}

int edit_lcs(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
	     uint32_t nclasses, uint32_t *b_to_a)
{
	size_t head = 0, tail = 0, ma, mb, i, j, npairs = 0;
	uint32_t *start = NULL, *pos = NULL, *fill = NULL;
	int rc = -ENOMEM;

	for (j = 0; j < nb; j++)
		b_to_a[j] = EDIT_LCS_NONE;
	while (head < na && head < nb && a[head] == b[head] &&
	       a[head] != EDIT_LCS_NONE) {
		b_to_a[head] = (uint32_t)head;
		head++;
	}
	while (tail < na - head && tail < nb - head &&
	       a[na - 1 - tail] == b[nb - 1 - tail] &&
	       a[na - 1 - tail] != EDIT_LCS_NONE) {
		b_to_a[nb - 1 - tail] = (uint32_t)(na - 1 - tail);
		tail++;
	}
	ma = na - head - tail;
	mb = nb - head - tail;
	if (!ma || !mb)
		return 0;
	/* a's middle positions grouped by class (a counting sort). */
	start = calloc((size_t)nclasses + 2, sizeof(*start));
	fill = calloc((size_t)nclasses + 1, sizeof(*fill));
	pos = malloc(ma * sizeof(*pos));
	if (!start || !fill || !pos)
		goto out;
	for (i = 0; i < ma; i++)
		if (a[head + i] != EDIT_LCS_NONE)
			start[a[head + i] + 1]++;
	for (i = 0; i < nclasses; i++)
		start[i + 1] += start[i];
	for (i = 0; i < ma; i++) {
		uint32_t c = a[head + i];

		if (c != EDIT_LCS_NONE)
			pos[start[c] + fill[c]++] = (uint32_t)(head + i);
	}
	for (j = 0; j < mb; j++)
		if (b[head + j] != EDIT_LCS_NONE)
			npairs += start[b[head + j] + 1] - start[b[head + j]];
	if (npairs <= 8 * (ma + mb) + 4096)
		rc = hunt(b + head, mb, start, pos, npairs, b_to_a + head);
	else
		rc = by_copies(a, na, b + head, mb, start, pos, nclasses,
			       b_to_a + head);
out:
	free(start);
	free(fill);
	free(pos);
	return rc;
}
