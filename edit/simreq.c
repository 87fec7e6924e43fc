/*
 * The simulator's requests (edit/apply.h: edit_sim_apply, edit_sim_run),
 * after tests/support/fake_rows.py: checks first, in its order, so that a
 * refused request changes nothing; then cells, then locations. Pure; one
 * simulator per thread at a time.
 */
#include "edit/apply_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE (-1)

static int64_t ref_id(const struct edit_ref *r)
{
	return r->id ? r->id : -(int64_t)r->added - 1;
}

static int refuse(struct edit_sim *sim, int code)
{
	sim->error = code;
	return -EINVAL;
}

/* The cell value now held for column col of row i, or NULL: the base's. */

static bool has_data(const struct edit_sim *sim, int32_t i)
{
	struct sbuf t = SBUF_INIT(0);
	const struct model_row *br;
	bool any = false;
	size_t c;
	uint32_t k;

	if (sim->rows[i].base != UINT32_MAX) {
		br = &sim->s->rows[sim->rows[i].base];
		for (k = 0; k < br->ncells; k++)
			any = any || br->cells[k].formula;
	}
	for (c = 0; c < sim->s->ncols && !any; c++) {
		sbuf_reset(&t);
		any = edit_sim_show(sim, i, c, EDIT_FMT_CSV, false, &t) == 0 &&
		      t.len > 0;
	}
	sbuf_release(&t);
	return any;
}

static int check_cells(struct edit_sim *sim, const struct edit_prow *pr)
{
	const struct model_sheet *s = sim->s;
	uint32_t k, j;

	for (k = 0; k < pr->ncells; k++) {
		const struct edit_cell *c = &pr->cells[k];
		const struct model_column *col;

		if (c->col >= s->ncols || s->cols[c->col].id != c->column_id)
			return refuse(sim, 1036);
		for (j = 0; j < k; j++)
			if (pr->cells[j].col == c->col)
				return refuse(sim, 1037);
		col = &s->cols[c->col];
		if (col->system_type != MODEL_SYS_NONE)
			return refuse(sim, 1046);
		if (col->formula)
			return refuse(sim, 1302);
		if (model_locked_for_user(s, col->locked))
			return refuse(sim, 1039);
	}
	return 0;
}

/* Where loc puts a request's first block: after *at, under *parent. */
static int anchor(struct edit_sim *sim, const struct edit_loc *loc, int32_t *at,
		  int64_t *parent)
{
	int64_t ref = ref_id(&loc->ref);
	int32_t i = NONE;
	size_t k;

	if (loc->kind >= EDIT_LOC_SIBLING) {
		i = edit_sim_find(sim, ref);
		if (i == NONE || sim->rows[i].out)
			return refuse(sim, loc->kind >= EDIT_LOC_PARENT ? 1063
									: 1064);
	}
	switch (loc->kind) {
	case EDIT_LOC_TOP:
		*at = NONE;
		*parent = 0;
		return 0;
	case EDIT_LOC_SIBLING:
		*at = edit_sim_subtree(sim, i, &k);
		*parent = sim->rows[i].parent;
		return 0;
	case EDIT_LOC_ABOVE:
		*at = sim->rows[i].prev;
		*parent = sim->rows[i].parent;
		return 0;
	case EDIT_LOC_PARENT:
	case EDIT_LOC_PARENT_BOTTOM:
		if (!has_data(sim, i))
			return refuse(sim, 1185);
		*at = loc->kind == EDIT_LOC_PARENT
			  ? i
			  : edit_sim_subtree(sim, i, &k);
		*parent = ref;
		return 0;
	default: /* toBottom, or a POST without a location */
		*at = sim->tail;
		*parent = 0;
		return 0;
	}
}

static int sim_add(struct edit_sim *sim, const struct edit_req *r)
{
	int32_t at, idx;
	int64_t parent;
	uint32_t k;
	int rc;

	for (k = 0; k < r->nrows; k++)
		if (check_cells(sim, &r->rows[k]))
			return -EINVAL;
	rc = anchor(sim, &r->loc, &at, &parent);
	if (rc)
		return rc;
	for (k = 0; k < r->nrows; k++) {
		int64_t id = ref_id(&r->rows[k].ref);

		if (r->rows[k].ref.id || edit_sim_find(sim, id) != NONE)
			return -EIO; /* a plan bug: the row exists */
		idx = edit_sim_new_row(sim, id, UINT32_MAX);
		if (idx < 0)
			return idx;
		sim->rows[idx].add = &r->rows[k];
		sim->rows[idx].parent = parent;
		edit_sim_link(sim, at, idx, idx, 1);
		at = idx;
	}
	return 0;
}

static int add_ovr(struct edit_sim *sim, int32_t i, const struct edit_cell *c)
{
	if (sim->nov == sim->ovcap) {
		size_t ncap = sim->ovcap ? 2 * sim->ovcap : 64;
		struct ovr *o = realloc(sim->ov, ncap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		sim->ov = o;
		sim->ovcap = ncap;
	}
	sim->ov[sim->nov].cell = c;
	sim->ov[sim->nov].next = sim->rows[i].ovr;
	sim->rows[i].ovr = (int32_t)sim->nov++;
	return 0;
}

/* PUT: check every row, then cells, then the location. */
static int sim_put(struct edit_sim *sim, const struct edit_req *r)
{
	const struct model_sheet *s = sim->s;
	int32_t heads[EDIT_MAX_ROWS_PER_REQ];
	int32_t at, i, t, last, prev = NONE;
	int64_t parent, target = ref_id(&r->loc.ref);
	uint32_t k, j, nb = 0;
	size_t n, moved = 0;
	int rc;

	for (k = 0; k < r->nrows; k++) {
		i = edit_sim_find(sim, ref_id(&r->rows[k].ref));
		if (i == NONE)
			return refuse(sim, 1006);
		for (j = 0; j < k; j++)
			if (ref_id(&r->rows[j].ref) == ref_id(&r->rows[k].ref))
				return refuse(sim, 1137);
		if (sim->rows[i].base != UINT32_MAX &&
		    model_locked_for_user(s, s->rows[sim->rows[i].base].locked))
			return refuse(sim, 1050);
		if (check_cells(sim, &r->rows[k]))
			return -EINVAL;
		if (r->loc.kind >= EDIT_LOC_SIBLING) {
			(void)edit_sim_subtree(sim, i, &n);
			t = edit_sim_find(sim, target);
			if (t != NONE && sim->mark[t] == sim->stamp)
				return refuse(sim, 1062);
		}
	}
	if (r->loc.kind != EDIT_LOC_NONE) {
		rc = anchor(sim, &r->loc, &at, &parent);
		if (rc)
			return rc;
	}
	for (k = 0; k < r->nrows; k++)
		for (j = 0; j < r->rows[k].ncells; j++) {
			i = edit_sim_find(sim, ref_id(&r->rows[k].ref));
			rc = add_ovr(sim, i, &r->rows[k].cells[j]);
			if (rc)
				return rc;
		}
	if (r->loc.kind == EDIT_LOC_NONE)
		return 0;
	/* Take the blocks out, in order, chained; then place them. */
	for (k = 0; k < r->nrows; k++) {
		i = edit_sim_find(sim, ref_id(&r->rows[k].ref));
		if (sim->rows[i].out)
			continue; /* inside a block taken out already */
		last = edit_sim_subtree(sim, i, &n);
		for (t = i;; t = sim->rows[t].next) {
			sim->rows[t].out = true;
			if (t == last)
				break;
		}
		edit_sim_unlink(sim, i, last, n);
		if (prev != NONE)
			sim->rows[prev].next = i;
		sim->rows[i].prev = prev;
		heads[nb++] = i;
		prev = last;
		moved += n;
	}
	/* Not inside a moved block (1062 above): the anchor is still there. */
	if (nb == 0 || anchor(sim, &r->loc, &at, &parent))
		return -EIO;
	for (k = 0; k < nb; k++)
		sim->rows[heads[k]].parent = parent;
	edit_sim_link(sim, at, heads[0], prev, moved);
	for (t = heads[0];; t = sim->rows[t].next) {
		sim->rows[t].out = false;
		if (t == prev)
			break;
	}
	return 0;
}

static int sim_delete(struct edit_sim *sim, const struct edit_req *r)
{
	const struct model_sheet *s = sim->s;
	int32_t i, t, last;
	uint32_t k;
	size_t n;
	int pass;

	for (k = 0; k < r->nrows; k++)
		if (edit_sim_find(sim, ref_id(&r->rows[k].ref)) == NONE)
			return refuse(sim, 1006);
	/* Pass 0 checks the locks of every row to go; pass 1 deletes. */
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < r->nrows; k++) {
			i = edit_sim_find(sim, ref_id(&r->rows[k].ref));
			if (i == NONE)
				continue; /* a child of a row deleted already */
			last = edit_sim_subtree(sim, i, &n);
			for (t = i; pass == 0; t = sim->rows[t].next) {
				uint32_t b = sim->rows[t].base;

				if (b != UINT32_MAX &&
				    model_locked_for_user(s, s->rows[b].locked))
					return refuse(sim, 1092);
				if (t == last)
					break;
			}
			if (pass == 0)
				continue;
			edit_sim_unlink(sim, i, last, n);
			for (t = i; t != NONE; t = sim->rows[t].next)
				sim->rows[t].dead = true;
		}
	}
	return 0;
}

int edit_sim_apply(struct edit_sim *sim, const struct edit_plan *p,
		   const struct edit_req *r)
{
	(void)p;
	sim->error = 0;
	if (r->nrows == 0)
		return refuse(sim, 1008);
	if (r->nrows > (r->kind == EDIT_REQ_DELETE ? EDIT_MAX_IDS_PER_DELETE
						   : EDIT_MAX_ROWS_PER_REQ))
		return refuse(sim, 1061);
	switch (r->kind) {
	case EDIT_REQ_ADD:
		return sim_add(sim, r);
	case EDIT_REQ_DELETE:
		return sim_delete(sim, r);
	default:
		return sim_put(sim, r);
	}
}

int edit_sim_run(struct edit_sim *sim, const struct edit_plan *p)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->nreqs && !rc; i++)
		rc = edit_sim_apply(sim, p, &p->reqs[i]);
	return rc;
}
