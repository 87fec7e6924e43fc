/*
 * Matching a new text's rows with the base's (edit/match_i.h, rules in
 * edit/diff.h): JSON by id; CSV by exact text (common head and tail, then
 * a longest common subsequence of the rest), then moves, then changed
 * rows paired inside each gap. Pure; any thread.
 */
#include "edit/match_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "edit/cellout.h"
#include "edit/lcs.h"
#include "edit/values.h"

#define NO EDIT_LCS_NONE

int edit_match_base(struct edit_match *m, size_t row)
{
	const struct model_row *r = &m->s->rows[row];
	size_t col;
	uint32_t j = 0;
	int rc = 0;

	sbuf_reset(&m->a);
	for (col = 0; col < m->s->ncols && !rc; col++) {
		const struct model_cell *c = NULL;

		while (j < r->ncells && r->cells[j].col < col)
			j++;
		if (j < r->ncells && r->cells[j].col == col)
			c = &r->cells[j];
		rc = edit_value_base_show(c, m->doc->fmt, m->display, &m->a,
					  &m->b);
		if (!rc)
			rc = sbuf_addch(&m->a, '\0');
	}
	return rc;
}

size_t edit_match_primary(const struct model_sheet *s)
{
	size_t i;

	for (i = 0; i < s->ncols; i++)
		if (s->cols[i].primary)
			return i;
	return s->ncols;
}

/* Whether base row b shows exactly doc row d. */
static int same(struct edit_match *m, size_t b, size_t d, bool *eq)
{
	const struct edit_doc_row *r = &m->doc->rows[d];
	int rc = edit_match_base(m, b);

	*eq = !rc && m->a.len == r->len &&
	      memcmp(m->a.buf, r->fields, r->len) == 0;
	return rc;
}

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211u;
	return h;
}

/*
 * Classes of the rows between head and tail: doc rows by their text (one
 * class per distinct text), base rows the class of the doc text they
 * show, or NO. Counting sort of the base rows by class into by/start.
 */
struct classes {
	uint32_t *a, *b;      /* base / doc rows of the middle */
	uint32_t n;	      /* classes */
	uint32_t *start, *by; /* base rows of class c: by[start[c]..) */
};

static int classify(struct edit_match *m, size_t head, size_t ma, size_t mb,
		    struct classes *k)
{
	const struct edit_doc *doc = m->doc;
	size_t cap = 16, i, h;
	uint32_t *slot = NULL, *fill = NULL;
	int rc = -ENOMEM;

	while (cap < 2 * mb + 2)
		cap *= 2;
	slot = malloc(cap * sizeof(*slot)); /* doc row of a class, or NO */
	k->a = malloc((ma + 1) * sizeof(*k->a));
	k->b = malloc((mb + 1) * sizeof(*k->b));
	if (!slot || !k->a || !k->b)
		goto out;
	memset(slot, 0xff, cap * sizeof(*slot));
	k->n = 0;
	for (i = 0; i < mb; i++) {
		const struct edit_doc_row *r = &doc->rows[head + i];

		for (h = hash(r->fields, r->len) & (cap - 1); slot[h] != NO;
		     h = (h + 1) & (cap - 1)) {
			const struct edit_doc_row *o = &doc->rows[slot[h]];

			if (o->len == r->len &&
			    memcmp(o->fields, r->fields, r->len) == 0)
				break;
		}
		if (slot[h] == NO) {
			slot[h] = (uint32_t)(head + i);
			k->b[i] = k->n++;
		} else {
			k->b[i] = k->b[slot[h] - head];
		}
	}
	for (i = 0; i < ma; i++) {
		rc = edit_match_base(m, head + i);
		if (rc)
			goto out;
		k->a[i] = NO;
		for (h = hash(m->a.buf, m->a.len) & (cap - 1); slot[h] != NO;
		     h = (h + 1) & (cap - 1)) {
			const struct edit_doc_row *o = &doc->rows[slot[h]];

			if (o->len == m->a.len &&
			    memcmp(o->fields, m->a.buf, m->a.len) == 0) {
				k->a[i] = k->b[slot[h] - head];
				break;
			}
		}
	}
	rc = -ENOMEM;
	k->start = calloc((size_t)k->n + 2, sizeof(*k->start));
	k->by = malloc((ma + 1) * sizeof(*k->by));
	fill = calloc((size_t)k->n + 1, sizeof(*fill));
	if (!k->start || !k->by || !fill)
		goto out;
	for (i = 0; i < ma; i++)
		if (k->a[i] != NO)
			k->start[k->a[i] + 1]++;
	for (i = 0; i < k->n; i++)
		k->start[i + 1] += k->start[i];
	for (i = 0; i < ma; i++)
		if (k->a[i] != NO)
			k->by[k->start[k->a[i]] + fill[k->a[i]]++] =
			    (uint32_t)i;
	rc = 0;
out:
	free(slot);
	free(fill);
	return rc;
}

/* Primary-column text of doc row d and base row b equal? */
static int same_primary(struct edit_match *m, size_t pcol, size_t b, size_t d,
			bool *eq)
{
	const char *f = edit_doc_field(&m->doc->rows[d], pcol), *g;
	int rc = edit_match_base(m, b);
	size_t c;

	*eq = false;
	if (rc)
		return rc;
	g = m->a.buf;
	for (c = 0; c < pcol; c++)
		g = edit_next_field(g);
	*eq = strcmp(f, g) == 0;
	return 0;
}

/* Pair the unmatched doc rows [d0, d1) with the unmatched base rows
 * [b0, b1) of one gap: same primary text first, then in order. */
static int pair_gap(struct edit_match *m, bool *taken, size_t d0, size_t d1,
		    size_t b0, size_t b1)
{
	size_t pcol = edit_match_primary(m->s), d, b, nb = b0;
	bool eq;
	int rc;

	for (d = d0; pcol < m->s->ncols && d < d1; d++) {
		if (m->d2b[d] != NO)
			continue;
		for (b = b0; b < b1; b++) {
			if (taken[b])
				continue;
			rc = same_primary(m, pcol, b, d, &eq);
			if (rc)
				return rc;
			if (eq) {
				m->d2b[d] = (uint32_t)b;
				taken[b] = true;
				break;
			}
		}
	}
	for (d = d0; d < d1; d++) {
		if (m->d2b[d] != NO)
			continue;
		while (nb < b1 && taken[nb])
			nb++;
		if (nb == b1)
			break;
		m->d2b[d] = (uint32_t)nb;
		taken[nb] = true;
	}
	return 0;
}

static int match_csv(struct edit_match *m)
{
	const struct edit_doc *doc = m->doc;
	size_t na = m->s->nrows, nd = doc->nrows, head = 0, tail = 0;
	size_t ma, mb, i, d, b0, d0;
	struct classes k = {0};
	uint32_t *b2a = NULL, *cur = NULL;
	bool *taken = NULL, *lcs = NULL, eq = true;
	int rc = 0;

	while (head < na && head < nd && eq) {
		rc = same(m, head, head, &eq);
		if (rc)
			return rc;
		if (eq) {
			m->d2b[head] = (uint32_t)head;
			m->exact[head] = true;
			head++;
		}
	}
	eq = true;
	while (tail < na - head && tail < nd - head && eq) {
		rc = same(m, na - 1 - tail, nd - 1 - tail, &eq);
		if (rc)
			return rc;
		if (eq) {
			m->d2b[nd - 1 - tail] = (uint32_t)(na - 1 - tail);
			m->exact[nd - 1 - tail] = true;
			tail++;
		}
	}
	ma = na - head - tail;
	mb = nd - head - tail;
	if (!mb)
		return 0;
	rc = -ENOMEM;
	b2a = malloc((mb + 1) * sizeof(*b2a));
	taken = calloc(na + 1, sizeof(*taken));
	lcs = calloc(nd + 1, sizeof(*lcs));
	if (!b2a || !taken || !lcs || classify(m, head, ma, mb, &k))
		goto out;
	cur = calloc((size_t)k.n + 1, sizeof(*cur));
	if (!cur || edit_lcs(k.a, ma, k.b, mb, k.n, b2a))
		goto out;
	for (i = 0; i < mb; i++)
		if (b2a[i] != NO) {
			m->d2b[head + i] = (uint32_t)head + b2a[i];
			m->exact[head + i] = lcs[head + i] = true;
			taken[head + b2a[i]] = true;
		}
	/* Moves: the k-th unmatched copy of a text with the k-th one. */
	for (i = 0; i < mb; i++) {
		uint32_t c = k.b[i];

		if (b2a[i] != NO)
			continue;
		while (cur[c] < k.start[c + 1] - k.start[c] &&
		       taken[head + k.by[k.start[c] + cur[c]]])
			cur[c]++;
		if (cur[c] == k.start[c + 1] - k.start[c])
			continue;
		m->d2b[head + i] = (uint32_t)head + k.by[k.start[c] + cur[c]];
		m->exact[head + i] = true;
		taken[m->d2b[head + i]] = true;
	}
	/* The gaps between rows matched in order. */
	d0 = head;
	b0 = head;
	for (d = head; d <= head + mb; d++) {
		if (d < head + mb && !lcs[d])
			continue;
		rc = pair_gap(m, taken, d0, d, b0,
			      d < head + mb ? m->d2b[d] : na - tail);
		if (rc)
			goto out;
		if (d < head + mb) {
			d0 = d + 1;
			b0 = m->d2b[d] + 1;
		}
	}
	rc = 0;
out:
	free(k.a);
	free(k.b);
	free(k.start);
	free(k.by);
	free(b2a);
	free(cur);
	free(taken);
	free(lcs);
	return rc;
}

/* JSON: rows by id (a hash of the base's ids). */
static int match_json(struct edit_match *m, char *err)
{
	const struct model_sheet *s = m->s;
	size_t cap = 16, i, h;
	uint32_t *slot, *line_of;
	int rc = 0;

	while (cap < 2 * s->nrows + 2)
		cap *= 2;
	slot = malloc(cap * sizeof(*slot));
	line_of = calloc(s->nrows + 1, sizeof(*line_of));
	if (!slot || !line_of) {
		free(slot);
		free(line_of);
		return -ENOMEM;
	}
	memset(slot, 0xff, cap * sizeof(*slot));
	for (i = 0; i < s->nrows; i++) {
		for (h = (size_t)hash((const char *)&s->rows[i].id, 8) &
			 (cap - 1);
		     slot[h] != NO; h = (h + 1) & (cap - 1))
			;
		slot[h] = (uint32_t)i;
	}
	for (i = 0; i < m->doc->nrows && !rc; i++) {
		const struct edit_doc_row *r = &m->doc->rows[i];

		if (!r->id)
			continue;
		for (h = (size_t)hash((const char *)&r->id, 8) & (cap - 1);
		     slot[h] != NO && s->rows[slot[h]].id != r->id;
		     h = (h + 1) & (cap - 1))
			;
		if (slot[h] == NO)
			rc = edit_errf(err, r->line,
				       "row id %" PRId64 " is not a row of "
				       "this sheet (a new row has no \"id\")",
				       r->id);
		else if (line_of[slot[h]])
			rc = edit_errf(err, r->line,
				       "row id %" PRId64 " is there twice "
				       "(line %u too)",
				       r->id, line_of[slot[h]]);
		else
			line_of[slot[h]] = r->line;
		if (rc)
			break;
		m->d2b[i] = slot[h];
		rc = same(m, slot[h], i, &m->exact[i]);
	}
	free(slot);
	free(line_of);
	return rc;
}

int edit_match_rows(struct edit_match *m, char *err)
{
	size_t i, n = m->doc->nrows;

	sbuf_init(&m->a, 0);
	sbuf_init(&m->b, 0);
	m->d2b = malloc((n + 1) * sizeof(*m->d2b));
	m->exact = calloc(n + 1, sizeof(*m->exact));
	if (!m->d2b || !m->exact)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		m->d2b[i] = NO;
	return m->doc->fmt == EDIT_FMT_JSON ? match_json(m, err) : match_csv(m);
}

void edit_match_release(struct edit_match *m)
{
	free(m->d2b);
	free(m->exact);
	m->d2b = NULL;
	m->exact = NULL;
	sbuf_release(&m->a);
	sbuf_release(&m->b);
}
