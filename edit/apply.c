/*
 * The simulator's state (edit/apply.h): rows in a doubly linked list with
 * parents, an id index, cell overrides chained per row; the queries and
 * the text of a cell. Its requests are simreq.c. Pure; one simulator per
 * thread at a time.
 */
#include "edit/apply_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edit/cellout.h"

#define NONE (-1)

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
int32_t edit_sim_new_row(struct edit_sim *sim, int64_t id, uint32_t base)
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

void edit_sim_link(struct edit_sim *sim, int32_t at, int32_t first,
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

void edit_sim_unlink(struct edit_sim *sim, int32_t first, int32_t last,
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

int32_t edit_sim_subtree(struct edit_sim *sim, int32_t i, size_t *k)
{
	int32_t last = i, j = sim->rows[i].next;

	sim->stamp++;
	sim->mark[i] = sim->stamp;
	*k = 1;
	while (j != NONE) {
		int32_t p = sim->rows[j].parent
				? edit_sim_find(sim, sim->rows[j].parent)
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
		int32_t r = edit_sim_new_row(sim, s->rows[i].id, (uint32_t)i);

		if (r < 0)
			goto fail;
		sim->rows[r].parent = s->rows[i].parent_id;
		edit_sim_link(sim, sim->tail, r, r, 1);
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

	return edit_sim_subtree(sim, i, &k);
}

uint32_t edit_sim_base(const struct edit_sim *sim, int32_t i)
{
	return sim->rows[i].base;
}

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
