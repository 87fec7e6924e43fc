/*
 * A simulator of Smartsheet's row requests (edit/apply.h), after
 * tests/support/fake_rows.py: rows in a doubly linked list with parents,
 * an id index, cell overrides chained per row. Contract: a refused request
 * changes nothing. Pure; one simulator per thread at a time.
 */
#include "edit/apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


#define NONE (-1)

struct srow {
	int64_t id, parent;
	int32_t prev, next;
	uint32_t base;               /* base row index; UINT32_MAX: added */
	const struct edit_prow *add; /* an added row: its request row */
	int32_t ovr;                 /* its newest override, or NONE */
	bool dead, out;              /* deleted; taken out by a move */
};

struct ovr {
	const struct edit_cell *cell;
	int32_t next;
};

struct edit_sim {
	const struct model_sheet *s;
	struct srow *rows;
	size_t n, cap;
	struct ovr *ov;
	size_t nov, ovcap;
	int32_t head, tail;
	size_t count;
	int64_t *hkey; /* id -> row, open addressing; key 0: free */
	int32_t *hval;
	size_t hmask;
	uint32_t *mark; /* for subtrees: rows of the walk in progress */
	uint32_t stamp;
	int error;
};

static size_t hslot(const struct edit_sim *sim, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u;

	return (size_t)(h >> 17) & sim->hmask;
}

int32_t edit_sim_find(const struct edit_sim *sim, int64_t id)
{
	size_t i = hslot(sim, id);

	while (sim->hkey[i]) {
		if (sim->hkey[i] == id) {
			int32_t r = sim->hval[i];

			return sim->rows[r].dead ? NONE : r;
		}
		i = (i + 1) & sim->hmask;
	}
	return NONE;
}

static int grow(struct edit_sim *sim)
{
	size_t ncap = sim->cap * 2, hcap = (sim->hmask + 1) * 2, i;
	struct srow *r = realloc(sim->rows, ncap * sizeof(*r));
	uint32_t *m;
	int64_t *k;
	int32_t *v;

	if (!r)
		return -ENOMEM;
	sim->rows = r;
	m = realloc(sim->mark, ncap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	memset(m + sim->cap, 0, (ncap - sim->cap) * sizeof(*m));
	sim->mark = m;
	sim->cap = ncap;
	k = calloc(hcap, sizeof(*k));
	v = calloc(hcap, sizeof(*v));
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	free(sim->hkey);
	free(sim->hval);
	sim->hkey = k;
	sim->hval = v;
	sim->hmask = hcap - 1;
	for (i = 0; i < sim->n; i++) {
		size_t j = hslot(sim, sim->rows[i].id);

		while (sim->hkey[j])
			j = (j + 1) & sim->hmask;
		sim->hkey[j] = sim->rows[i].id;
		sim->hval[j] = (int32_t)i;
	}
	return 0;
}

/* A new row (not linked yet); its index or a negative errno. */
static int32_t new_row(struct edit_sim *sim, int64_t id, uint32_t base)
{
	struct srow *r;
	size_t j;
	int rc;

	if (sim->n >= INT32_MAX - 1)
		return -EFBIG;
	if (2 * (sim->n + 1) > sim->hmask + 1 || sim->n == sim->cap) {
		rc = grow(sim);
		if (rc)
			return rc;
	}
	r = &sim->rows[sim->n];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->base = base;
	r->prev = r->next = r->ovr = NONE;
	j = hslot(sim, id);
	while (sim->hkey[j])
		j = (j + 1) & sim->hmask;
	sim->hkey[j] = id;
	sim->hval[j] = (int32_t)sim->n;
	return (int32_t)sim->n++;
}

/* Link rows first..last (already chained) after row at (NONE: at top). */
static void link_after(struct edit_sim *sim, int32_t at, int32_t first,
		       int32_t last, size_t k)
{
	int32_t nx = at == NONE ? sim->head : sim->rows[at].next;

	sim->rows[first].prev = at;
	sim->rows[last].next = nx;
	if (at == NONE)
		sim->head = first;
	else
		sim->rows[at].next = first;
	if (nx == NONE)
		sim->tail = last;
	else
		sim->rows[nx].prev = last;
	sim->count += k;
}

static void unlink_rows(struct edit_sim *sim, int32_t first, int32_t last,
			size_t k)
{
	int32_t pv = sim->rows[first].prev, nx = sim->rows[last].next;

	if (pv == NONE)
		sim->head = nx;
	else
		sim->rows[pv].next = nx;
	if (nx == NONE)
		sim->tail = pv;
	else
		sim->rows[nx].prev = pv;
	sim->rows[first].prev = sim->rows[last].next = NONE;
	sim->count -= k;
}

/* The last row of i's subtree (i and its descendants); *k: how many. */
static int32_t subtree_last(struct edit_sim *sim, int32_t i, size_t *k)
{
	int32_t last = i, j = sim->rows[i].next;

	sim->stamp++;
	sim->mark[i] = sim->stamp;
	*k = 1;
	while (j != NONE) {
		int32_t p = sim->rows[j].parent ? edit_sim_find(sim,
								sim->rows[j].parent)
						: NONE;

		if (p == NONE || sim->mark[p] != sim->stamp)
			break;
		sim->mark[j] = sim->stamp;
		last = j;
		j = sim->rows[j].next;
		(*k)++;
	}
	return last;
}

struct edit_sim *edit_sim_new(const struct model_sheet *s)
{
	struct edit_sim *sim = calloc(1, sizeof(*sim));
	size_t i;

	if (!sim)
		return NULL;
	sim->s = s;
	sim->head = sim->tail = NONE;
	sim->cap = 16;
	sim->hmask = 31;
	sim->rows = malloc(sim->cap * sizeof(*sim->rows));
	sim->mark = calloc(sim->cap, sizeof(*sim->mark));
	sim->hkey = calloc(sim->hmask + 1, sizeof(*sim->hkey));
	sim->hval = calloc(sim->hmask + 1, sizeof(*sim->hval));
	if (!sim->rows || !sim->mark || !sim->hkey || !sim->hval)
		goto fail;
	for (i = 0; i < s->nrows; i++) {
		int32_t r = new_row(sim, s->rows[i].id, (uint32_t)i);

		if (r < 0)
			goto fail;
		sim->rows[r].parent = s->rows[i].parent_id;
		link_after(sim, sim->tail, r, r, 1);
	}
	return sim;
fail:
	edit_sim_free(sim);
	return NULL;
}

void edit_sim_free(struct edit_sim *sim)
{
	if (!sim)
		return;
	free(sim->rows);
	free(sim->mark);
	free(sim->hkey);
	free(sim->hval);
	free(sim->ov);
	free(sim);
}

int edit_sim_error(const struct edit_sim *sim)
{
	return sim->error;
}

int32_t edit_sim_first(const struct edit_sim *sim)
{
	return sim->head;
}

int32_t edit_sim_next(const struct edit_sim *sim, int32_t i)
{
	return sim->rows[i].next;
}

int32_t edit_sim_prev(const struct edit_sim *sim, int32_t i)
{
	return sim->rows[i].prev;
}

size_t edit_sim_count(const struct edit_sim *sim)
{
	return sim->count;
}

int64_t edit_sim_id(const struct edit_sim *sim, int32_t i)
{
	return sim->rows[i].id;
}

int64_t edit_sim_parent(const struct edit_sim *sim, int32_t i)
{
	return sim->rows[i].parent;
}

int32_t edit_sim_first_child(const struct edit_sim *sim, int32_t i)
{
	int32_t j = sim->rows[i].next;

	return j != NONE && sim->rows[j].parent == sim->rows[i].id ? j : NONE;
}

int32_t edit_sim_last_below(struct edit_sim *sim, int32_t i)
{
	size_t k;

	return subtree_last(sim, i, &k);
}

uint32_t edit_sim_base(const struct edit_sim *sim, int32_t i)
{
	return sim->rows[i].base;
}

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
static const struct edit_cell *held(const struct edit_sim *sim, int32_t i,
				    size_t col, bool *from_base)
{
	const struct srow *r = &sim->rows[i];
	int32_t o;
	uint32_t k;

	*from_base = false;
	for (o = r->ovr; o != NONE; o = sim->ov[o].next)
		if (sim->ov[o].cell->col == col)
			return sim->ov[o].cell;
	for (k = 0; r->add && k < r->add->ncells; k++)
		if (r->add->cells[k].col == col)
			return &r->add->cells[k];
	*from_base = r->base != UINT32_MAX;
	return NULL;
}

int edit_sim_show(const struct edit_sim *sim, int32_t i, size_t col,
		  enum edit_fmt fmt, bool display, struct sbuf *out)
{
	const struct model_cell *mc;
	const struct edit_cell *c;
	struct sbuf scratch = SBUF_INIT(0);
	bool from_base;
	int rc;

	c = held(sim, i, col, &from_base);
	if (c) {
		if (c->v.kind == EDIT_VAL_EMPTY &&
		    sim->s->cols[col].type == MODEL_COL_CHECKBOX)
			return sbuf_addstr(out, "false");
		return edit_value_show(&c->v, fmt, out);
	}
	if (!from_base)
		return 0;
	mc = model_row_cell(&sim->s->rows[sim->rows[i].base], (uint32_t)col);
	rc = edit_value_base_show(mc, fmt, display, out, &scratch);
	sbuf_release(&scratch);
	return rc;
}

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
static int anchor(struct edit_sim *sim, const struct edit_loc *loc,
		  int32_t *at, int64_t *parent)
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
		*at = subtree_last(sim, i, &k);
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
		*at = loc->kind == EDIT_LOC_PARENT ? i : subtree_last(sim, i, &k);
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
		idx = new_row(sim, id, UINT32_MAX);
		if (idx < 0)
			return idx;
		sim->rows[idx].add = &r->rows[k];
		sim->rows[idx].parent = parent;
		link_after(sim, at, idx, idx, 1);
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
			(void)subtree_last(sim, i, &n);
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
		last = subtree_last(sim, i, &n);
		for (t = i;; t = sim->rows[t].next) {
			sim->rows[t].out = true;
			if (t == last)
				break;
		}
		unlink_rows(sim, i, last, n);
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
	link_after(sim, at, heads[0], prev, moved);
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
			last = subtree_last(sim, i, &n);
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
			unlink_rows(sim, i, last, n);
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
