/*
 * Placing rows (edit/order_i.h): the additions and moves that turn the
 * base's order into the text's, planned against the simulator so that
 * every location is the one Smartsheet will see when the request runs.
 * Contract: after the plan's requests (and deletions), the rows are in
 * exactly the text's order. Pure; any thread.
 */
#include "edit/order_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edit/apply.h"
#include "edit/lcs.h"
#include "edit/plan_i.h"
#include "util/arena.h"

#define NONE (-1)

struct ctx {
	struct edit_plan *p;
	const struct model_sheet *s;
	struct edit_target *t;
	size_t nt;
	const bool *gone;
	struct edit_sim *sim;
	bool *floating;	    /* target k moves later and has nothing below it */
	uint32_t *of_base;  /* base row -> target, or EDIT_LCS_NONE */
	uint32_t *of_added; /* added row -> target */
	char *err;
};

static struct edit_ref ref_of(const struct ctx *c, size_t k)
{
	struct edit_ref r = {0, 0};

	if (c->t[k].base != EDIT_LCS_NONE)
		r.id = c->s->rows[c->t[k].base].id;
	else
		r = c->t[k].add.ref;
	return r;
}

static int32_t row_of(const struct ctx *c, size_t k)
{
	struct edit_ref r = ref_of(c, k);

	return edit_sim_find(c->sim, r.id ? r.id : -(int64_t)r.added - 1);
}

/* The target a row of the simulator is, or EDIT_LCS_NONE (to delete). */
static uint32_t target_of(const struct ctx *c, int32_t i)
{
	uint32_t b = edit_sim_base(c->sim, i);

	if (b != UINT32_MAX)
		return c->of_base[b];
	return c->of_added[-edit_sim_id(c->sim, i) - 1];
}

/* A row below i (its subtree) that is not to be deleted. */
static bool keeps_below(const struct ctx *c, int32_t i)
{
	int32_t last = edit_sim_last_below(c->sim, i), j = i;

	while (j != last) {
		j = edit_sim_next(c->sim, j);
		if (target_of(c, j) != EDIT_LCS_NONE)
			return true;
	}
	return false;
}

/* Right after target k: its first child's place, or right below it. */
static struct edit_loc after(const struct ctx *c, size_t k)
{
	struct edit_loc l = {EDIT_LOC_SIBLING, ref_of(c, k)};
	int32_t i = row_of(c, k), fc;

	if (!keeps_below(c, i))
		return l;
	fc = edit_sim_first_child(c->sim, i);
	l.kind = EDIT_LOC_ABOVE;
	l.ref.added = 0;
	l.ref.id = edit_sim_id(c->sim, fc);
	if (l.ref.id < 0) {
		l.ref.added = (uint32_t)(-l.ref.id - 1);
		l.ref.id = 0;
	}
	return l;
}

/* Add targets [a, b) (new rows), placed at loc, in requests of 500. */
static int add_run(struct ctx *c, size_t a, size_t b, struct edit_loc loc)
{
	struct edit_req *r;
	size_t k, n;
	int rc;

	while (a < b) {
		n = b - a < EDIT_MAX_ROWS_PER_REQ ? b - a
						  : EDIT_MAX_ROWS_PER_REQ;
		r = edit_plan_add_req(c->p, EDIT_REQ_ADD, (uint32_t)n);
		if (!r)
			return -ENOMEM;
		r->loc = loc;
		for (k = a; k < a + n; k++) {
			c->t[k].add.ref.id = 0;
			c->t[k].add.ref.added = (uint32_t)c->p->nadded;
			c->of_added[c->p->nadded++] = (uint32_t)k;
			r->rows[r->nrows++] = c->t[k].add;
		}
		rc = edit_sim_apply(c->sim, c->p, r);
		if (rc)
			return rc == -EINVAL ? -EIO : rc;
		/* The next 500 go right below the last of these. */
		loc.kind = EDIT_LOC_SIBLING;
		loc.ref = c->t[a + n - 1].add.ref;
		a += n;
	}
	return 0;
}

static int additions(struct ctx *c)
{
	struct edit_loc loc = {EDIT_LOC_TOP, {0, 0}};
	size_t a = 0, b, nx;
	int rc;

	while (a < c->nt) {
		if (c->t[a].base != EDIT_LCS_NONE) {
			a++;
			continue;
		}
		for (b = a; b < c->nt && c->t[b].base == EDIT_LCS_NONE; b++)
			;
		if (a == 0) {
			loc.kind = EDIT_LOC_TOP;
		} else if (!c->t[a - 1].moved) {
			loc = after(c, a - 1);
		} else {
			/* The row before moves later: above the next one
			 * that stays, or at the bottom. */
			for (nx = b;
			     nx < c->nt &&
			     (c->t[nx].moved || c->t[nx].base == EDIT_LCS_NONE);
			     nx++)
				;
			loc.kind =
			    nx < c->nt ? EDIT_LOC_ABOVE : EDIT_LOC_BOTTOM;
			if (nx < c->nt)
				loc.ref = ref_of(c, nx);
		}
		rc = add_run(c, a, b, loc);
		if (rc)
			return rc;
		a = b;
	}
	return 0;
}

static bool same_ref(struct edit_ref x, struct edit_ref y)
{
	return x.id == y.id && (x.id || x.added == y.added);
}

/* Move target k to loc: one more row of the open request *cur when the
 * move has its shape, else a new request. */
static int move(struct ctx *c, size_t k, struct edit_loc loc,
		struct edit_req **cur, size_t *cur_last)
{
	struct edit_prow pr = {.ref = ref_of(c, k), .line = c->t[k].line};
	struct edit_req one = {EDIT_REQ_MOVE, loc, &pr, 1};
	struct edit_req *r = *cur;
	const struct model_sheet *s = c->s;
	int32_t i = row_of(c, k), last, j, anc;
	uint32_t b = c->t[k].base;
	bool join;
	int rc;

	if (b != EDIT_LCS_NONE && model_locked_for_user(s, s->rows[b].locked))
		return edit_errf(c->err, c->t[k].line,
				 "the row is locked, and the new order needs "
				 "it to move");
	join = r && *cur_last + 1 == k && r->nrows < EDIT_MAX_ROWS_PER_REQ &&
	       loc.kind == EDIT_LOC_SIBLING &&
	       same_ref(loc.ref, ref_of(c, k - 1)) &&
	       !same_ref(r->loc.ref, pr.ref);
	if (join) {
		/* The request's anchor may not be below the row. */
		anc = edit_sim_find(
		    c->sim, r->loc.ref.id ? r->loc.ref.id
					  : -(int64_t)r->loc.ref.added - 1);
		last = edit_sim_last_below(c->sim, i);
		for (j = i; join; j = edit_sim_next(c->sim, j)) {
			join = j != anc;
			if (j == last)
				break;
		}
	}
	if (!join) {
		r = edit_plan_add_req(c->p, EDIT_REQ_MOVE,
				      EDIT_MAX_ROWS_PER_REQ);
		if (!r)
			return -ENOMEM;
		r->loc = loc;
		*cur = r;
	}
	r->rows[r->nrows++] = pr;
	*cur_last = k;
	c->t[k].moved = true;
	c->p->counts.moved++;
	rc = edit_sim_apply(c->sim, c->p, &one);
	return rc == -EINVAL ? -EIO : rc;
}

static int moves(struct ctx *c)
{
	struct edit_req *cur = NULL;
	size_t k, cur_last = 0;
	int32_t y, x;
	uint32_t ty;
	int rc;

	for (k = 0; k < c->nt; k++) {
		c->floating[k] = false; /* its turn */
		x = row_of(c, k);
		y = k ? edit_sim_next(c->sim, row_of(c, k - 1))
		      : edit_sim_first(c->sim);
		for (; y != NONE; y = edit_sim_next(c->sim, y)) {
			ty = target_of(c, y);
			if (ty != EDIT_LCS_NONE && !c->floating[ty])
				break;
		}
		if (y == x)
			continue;
		if (k == 0) {
			struct edit_loc top = {EDIT_LOC_TOP, {0, 0}};

			rc = move(c, k, top, &cur, &cur_last);
		} else {
			rc = move(c, k, after(c, k - 1), &cur, &cur_last);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Which kept rows stay: a longest run of increasing base positions. */
static int stays(struct ctx *c)
{
	uint32_t *v = malloc((c->nt + 1) * sizeof(*v));
	bool *keep = malloc((c->nt + 1) * sizeof(*keep));
	size_t k;
	int rc = -ENOMEM;

	if (v && keep) {
		for (k = 0; k < c->nt; k++)
			v[k] = c->t[k].base;
		rc = edit_lis(v, c->nt, keep);
	}
	for (k = 0; !rc && k < c->nt; k++)
		c->t[k].moved = c->t[k].base != EDIT_LCS_NONE && !keep[k];
	free(v);
	free(keep);
	return rc;
}

int edit_order(struct edit_plan *p, const struct model_sheet *s,
	       struct edit_target *t, size_t nt, const bool *gone, char *err)
{
	struct ctx c = {p, s, t, nt, gone, NULL, NULL, NULL, NULL, err};
	size_t k;
	int rc = -ENOMEM;

	c.sim = edit_sim_new(s);
	c.floating = calloc(nt + 1, sizeof(*c.floating));
	c.of_base = malloc((s->nrows + 1) * sizeof(*c.of_base));
	c.of_added = malloc((nt + 1) * sizeof(*c.of_added));
	if (!c.sim || !c.floating || !c.of_base || !c.of_added)
		goto out;
	for (k = 0; k < s->nrows; k++)
		c.of_base[k] = EDIT_LCS_NONE;
	for (k = 0; k < nt; k++)
		if (t[k].base != EDIT_LCS_NONE)
			c.of_base[t[k].base] = (uint32_t)k;
	rc = stays(&c);
	if (!rc)
		rc = additions(&c);
	if (rc)
		goto out;
	/* Rows that move later and have nothing below them that stays are
	 * "floating": they do not count as the row in a place. */
	for (k = 0; k < nt; k++)
		c.floating[k] = t[k].moved && !keeps_below(&c, row_of(&c, k));
	for (k = 0; k < nt; k++)
		t[k].moved = false; /* now: whether it did move */
	rc = moves(&c);
out:
	edit_sim_free(c.sim);
	free(c.floating);
	free(c.of_base);
	free(c.of_added);
	return rc;
}
