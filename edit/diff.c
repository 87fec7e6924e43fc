/*
 * The row diff of a whole-file save (edit/diff.h): match the rows
 * (match.c), refuse what Smartsheet would refuse or what would lose rows,
 * build updates, additions and moves (order.c) and deletions, then run the
 * plan in the simulator (apply.c) and check that it gives the text.
 * Pure; any thread.
 */
#include "edit/diff.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit/apply.h"
#include "edit/lcs.h"
#include "edit/match_i.h"
#include "edit/order_i.h"
#include "edit/plan_i.h"
#include "edit/values.h"
#include "util/arena.h"

#define NO EDIT_LCS_NONE

struct diff {
	struct edit_match m;
	struct edit_plan *p;
	struct edit_target *t;
	bool *gone;
	bool *updated; /* doc row: an update or an addition sends cells */
	char *err;
};

/* "row 7 ("Design")": a base row by its place and primary text. */
static void base_name(struct diff *d, size_t b, char *buf, size_t n)
{
	const struct model_sheet *s = d->m.s;
	size_t pcol = edit_match_primary(s), c;
	char t[EDIT_SHORT_MAX];
	const char *g = "";

	if (pcol < s->ncols && edit_match_base(&d->m, b) == 0) {
		g = d->m.a.buf;
		for (c = 0; c < pcol; c++)
			g = edit_next_field(g);
	}
	(void)snprintf(buf, n, "row %zu (\"%s\")", b + 1, edit_short(t, g));
}

/* CHECKBOX: empty and false are one value (a cleared box is false). */
static bool same_field(const struct model_column *col, const char *x,
		       const char *y)
{
	if (strcmp(x, y) == 0)
		return true;
	return col->type == MODEL_COL_CHECKBOX &&
	       ((!*x && strcmp(y, "false") == 0) ||
		(!*y && strcmp(x, "false") == 0));
}

/* Why a cell of base row b, column c cannot change, or NULL. */
static const char *computed(const struct model_sheet *s, size_t b, size_t c)
{
	const struct model_column *col = &s->cols[c];
	const struct model_cell *mc = model_row_cell(&s->rows[b], (uint32_t)c);

	if (col->system_type != MODEL_SYS_NONE)
		return "Smartsheet computes this system column";
	if (col->formula)
		return "the column has a formula";
	if (mc && mc->formula)
		return "the cell holds a formula";
	if (model_locked_for_user(s, col->locked))
		return "the column is locked";
	if (model_locked_for_user(s, s->rows[b].locked))
		return "the row is locked";
	return NULL;
}

/* The changed cells of doc row i (kept base row b), into pr. */
static int changes(struct diff *d, size_t i, size_t b, struct edit_prow *pr)
{
	const struct model_sheet *s = d->m.s;
	const struct edit_doc_row *r = &d->m.doc->rows[i];
	const char *f = r->fields, *g;
	char t[EDIT_SHORT_MAX];
	const char *why;
	size_t c;
	int rc = edit_match_base(&d->m, b);

	if (rc)
		return rc;
	pr->cells =
	    arena_alloc(d->p->arena, (s->ncols + 1) * sizeof(*pr->cells));
	if (!pr->cells)
		return -ENOMEM;
	pr->ncells = 0;
	pr->line = r->line;
	pr->ref.id = s->rows[b].id;
	g = d->m.a.buf;
	for (c = 0; c < s->ncols;
	     c++, f = edit_next_field(f), g = edit_next_field(g)) {
		struct edit_cell *cell = &pr->cells[pr->ncells];

		if (same_field(&s->cols[c], f, g))
			continue;
		why = computed(s, b, c);
		if (why)
			return edit_errf(
			    d->err, 0,
			    "line %u, column \"%s\": %s; it cannot "
			    "change",
			    r->line, edit_short(t, s->cols[c].title), why);
		rc = d->m.doc->fmt == EDIT_FMT_JSON
			 ? edit_value_from_json(&s->cols[c], f, r->line,
						d->p->arena, &cell->v, d->err)
			 : edit_value_from_text(&s->cols[c], f, r->line,
						d->p->arena, &cell->v, d->err);
		if (rc)
			return rc;
		cell->col = (uint32_t)c;
		cell->column_id = s->cols[c].id;
		pr->ncells++;
	}
	return 0;
}

static int updates(struct diff *d)
{
	const struct edit_doc *doc = d->m.doc;
	struct edit_req *r = NULL;
	struct edit_prow pr;
	size_t i;
	int rc;

	for (i = 0; i < doc->nrows; i++) {
		uint32_t b = d->m.d2b[i];

		if (b == NO || d->m.exact[i])
			continue;
		rc = changes(d, i, b, &pr);
		if (rc)
			return rc;
		if (!pr.ncells)
			continue;
		if (!r || r->nrows == EDIT_MAX_ROWS_PER_REQ) {
			r = edit_plan_add_req(d->p, EDIT_REQ_UPDATE,
					      EDIT_MAX_ROWS_PER_REQ);
			if (!r)
				return -ENOMEM;
		}
		r->rows[r->nrows++] = pr;
		d->updated[i] = true;
		d->p->counts.changed++;
	}
	return 0;
}

/* The base row index of each row id (ids are unique in a sheet). */
static int parent_index(const struct model_sheet *s, size_t b, size_t *out)
{
	int64_t pid = s->rows[b].parent_id;
	size_t j;

	/* Parents come before their children: look back from b. */
	for (j = b; pid && j-- > 0;)
		if (s->rows[j].id == pid) {
			*out = j;
			return 1;
		}
	return 0;
}

/* Deleted rows: none locked, none with a child that stays. */
static int check_gone(struct diff *d)
{
	const struct model_sheet *s = d->m.s;
	const struct edit_doc *doc = d->m.doc;
	char a[96], b[96];
	size_t i, par;

	for (i = 0; i < s->nrows; i++) {
		if (d->gone[i] && model_locked_for_user(s, s->rows[i].locked)) {
			base_name(d, i, a, sizeof(a));
			return edit_errf(d->err, 0,
					 "%s is gone from the text, but it is "
					 "locked: it cannot be deleted",
					 a);
		}
	}
	for (i = 0; i < doc->nrows; i++) {
		uint32_t k = d->m.d2b[i];

		if (k == NO || !parent_index(s, k, &par) || !d->gone[par])
			continue;
		base_name(d, par, a, sizeof(a));
		base_name(d, k, b, sizeof(b));
		return edit_errf(d->err, doc->rows[i].line,
				 "%s stays, but its parent %s is gone: "
				 "Smartsheet deletes children with their "
				 "parent (delete the children too, or keep "
				 "the parent)",
				 b, a);
	}
	return 0;
}

static int deletions(struct diff *d)
{
	const struct model_sheet *s = d->m.s;
	struct edit_req *r = NULL;
	size_t i, par;

	for (i = 0; i < s->nrows; i++) {
		if (!d->gone[i])
			continue;
		d->p->counts.deleted++;
		/* A child goes with its parent: name only the topmost. */
		if (parent_index(s, i, &par) && d->gone[par])
			continue;
		if (!r || r->nrows == EDIT_MAX_IDS_PER_DELETE) {
			r = edit_plan_add_req(d->p, EDIT_REQ_DELETE,
					      EDIT_MAX_IDS_PER_DELETE);
			if (!r)
				return -ENOMEM;
		}
		r->rows[r->nrows].ref.id = s->rows[i].id;
		r->rows[r->nrows].line = 0;
		r->rows[r->nrows++].ncells = 0;
	}
	return 0;
}

static int targets(struct diff *d)
{
	const struct edit_doc *doc = d->m.doc;
	size_t i;
	int rc;

	for (i = 0; i < doc->nrows; i++) {
		struct edit_target *t = &d->t[i];

		memset(t, 0, sizeof(*t));
		t->base = d->m.d2b[i];
		t->line = doc->rows[i].line;
		if (t->base != NO)
			continue;
		rc = edit_plan_new_cells(d->p, d->m.s, doc, i, &t->add, d->err);
		if (rc)
			return rc;
		d->updated[i] = true;
		d->p->counts.added++;
	}
	return 0;
}

/* Run the plan on the base: the text's rows, ids and changed cells? */
static int self_check(struct diff *d)
{
	const struct model_sheet *s = d->m.s;
	const struct edit_doc *doc = d->m.doc;
	struct edit_sim *sim = edit_sim_new(s);
	struct sbuf txt = SBUF_INIT(0);
	int32_t x;
	size_t i, c;
	int rc = sim ? edit_sim_run(sim, d->p) : -ENOMEM;

	if (rc == -EINVAL)
		rc = -EIO;
	if (!rc && edit_sim_count(sim) != doc->nrows)
		rc = -EIO;
	for (i = 0, x = rc ? -1 : edit_sim_first(sim); !rc && x >= 0;
	     i++, x = edit_sim_next(sim, x)) {
		const struct edit_target *t = &d->t[i];
		int64_t want = t->base != NO ? s->rows[t->base].id
					     : -(int64_t)t->add.ref.added - 1;
		const char *f = doc->rows[i].fields;

		if (edit_sim_id(sim, x) != want) {
			rc = -EIO;
			break;
		}
		for (c = 0; d->updated[i] && c < s->ncols && !rc;
		     c++, f = edit_next_field(f)) {
			const struct model_column *col = &s->cols[c];

			if (t->base == NO &&
			    (col->system_type != MODEL_SYS_NONE ||
			     col->formula))
				continue;
			sbuf_reset(&txt);
			rc = edit_sim_show(sim, x, c, doc->fmt, d->m.display,
					   &txt);
			if (!rc && !same_field(col, f, txt.buf) &&
			    doc->fmt == EDIT_FMT_CSV)
				rc = -EIO;
		}
	}
	if (rc == -EIO)
		(void)edit_errf(d->err, 0,
				"internal error: the plan does not give the "
				"text (error %d); nothing was sent",
				sim ? edit_sim_error(sim) : 0);
	edit_sim_free(sim);
	sbuf_release(&txt);
	return rc;
}

int edit_diff(const struct model_sheet *s, const struct edit_doc *doc,
	      const struct render_opts *o, struct edit_plan **out, char *err)
{
	struct diff d = {.err = err};
	size_t i;
	int rc = -ENOMEM;

	d.m.s = s;
	d.m.doc = doc;
	d.m.display = o && o->display && doc->fmt == EDIT_FMT_CSV;
	d.p = edit_plan_new();
	d.t = malloc((doc->nrows + 1) * sizeof(*d.t));
	d.gone = malloc((s->nrows + 1) * sizeof(*d.gone));
	d.updated = calloc(doc->nrows + 1, sizeof(*d.updated));
	if (!d.p || !d.t || !d.gone || !d.updated)
		goto out;
	rc = edit_match_rows(&d.m, err);
	if (rc)
		goto out;
	for (i = 0; i < s->nrows; i++)
		d.gone[i] = true;
	for (i = 0; i < doc->nrows; i++)
		if (d.m.d2b[i] != NO)
			d.gone[d.m.d2b[i]] = false;
	rc = check_gone(&d);
	if (!rc)
		rc = updates(&d);
	if (!rc)
		rc = targets(&d);
	if (!rc)
		rc = edit_order(d.p, s, d.t, doc->nrows, d.gone, err);
	if (!rc)
		rc = deletions(&d);
	if (!rc)
		rc = self_check(&d);
out:
	edit_match_release(&d.m);
	free(d.t);
	free(d.gone);
	free(d.updated);
	if (rc) {
		edit_plan_free(d.p);
		return rc;
	}
	*out = d.p;
	return 0;
}
