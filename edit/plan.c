/*
 * The plan of a save (edit/plan.h): its requests, their bytes as the API
 * takes them (the SDK scenarios' bodies), and the plan of an append.
 * Contract: a request's body names added rows by the ids the caller got
 * back, or fails. Pure; any thread.
 */
#include "edit/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edit/cellout.h"
#include "edit/plan_i.h"
#include "render/number.h"
#include "util/arena.h"

struct edit_plan *edit_plan_new(void)
{
	struct edit_plan *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->arena = arena_new();
	if (!p->arena) {
		free(p);
		return NULL;
	}
	return p;
}

void edit_plan_free(struct edit_plan *p)
{
	if (!p)
		return;
	free(p->reqs);
	arena_free(p->arena);
	free(p);
}

struct edit_req *edit_plan_add_req(struct edit_plan *p, enum edit_req_kind k,
				   uint32_t cap)
{
	struct edit_req *r;

	if (p->nreqs == p->cap) {
		size_t ncap = p->cap ? 2 * p->cap : 8;

		r = realloc(p->reqs, ncap * sizeof(*r));
		if (!r)
			return NULL;
		p->reqs = r;
		p->cap = ncap;
	}
	r = &p->reqs[p->nreqs];
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->rows = arena_alloc(p->arena, (cap ? cap : 1) * sizeof(*r->rows));
	if (!r->rows)
		return NULL;
	memset(r->rows, 0, (cap ? cap : 1) * sizeof(*r->rows));
	p->nreqs++;
	return r;
}

const char *edit_req_method(const struct edit_req *r)
{
	switch (r->kind) {
	case EDIT_REQ_ADD:
		return "POST";
	case EDIT_REQ_DELETE:
		return "DELETE";
	default:
		return "PUT";
	}
}

/* The id of ref: patched from added_ids for a row added earlier. */
static int put_ref(struct sbuf *out, const struct edit_ref *ref,
		   const int64_t *added_ids, size_t nknown)
{
	char b[RENDER_INT64_MAX];
	int64_t id = ref->id;

	if (!id) {
		if (ref->added >= nknown || !added_ids)
			return -EINVAL;
		id = added_ids[ref->added];
	}
	return sbuf_add(out, b, render_int64(id, b));
}

/* The location attributes, each followed by a comma. */
static int put_loc(struct sbuf *out, const struct edit_loc *l,
		   const int64_t *added_ids, size_t nknown)
{
	int rc = 0;

	switch (l->kind) {
	case EDIT_LOC_TOP:
		return sbuf_addstr(out, "\"toTop\":true,");
	case EDIT_LOC_BOTTOM:
		return sbuf_addstr(out, "\"toBottom\":true,");
	case EDIT_LOC_NONE:
		return 0;
	case EDIT_LOC_SIBLING:
	case EDIT_LOC_ABOVE:
		rc = sbuf_addstr(out, "\"siblingId\":");
		break;
	default:
		rc = sbuf_addstr(out, "\"parentId\":");
		break;
	}
	if (!rc)
		rc = put_ref(out, &l->ref, added_ids, nknown);
	if (!rc && l->kind == EDIT_LOC_ABOVE)
		rc = sbuf_addstr(out, ",\"above\":true");
	if (!rc && l->kind == EDIT_LOC_PARENT_BOTTOM)
		rc = sbuf_addstr(out, ",\"toBottom\":true");
	if (!rc)
		rc = sbuf_addch(out, ',');
	return rc;
}

static int put_row(struct sbuf *out, const struct edit_req *r,
		   const struct edit_prow *pr, const int64_t *added_ids,
		   size_t nknown)
{
	uint32_t k;
	int rc = sbuf_addch(out, '{');

	if (!rc && r->kind != EDIT_REQ_ADD) {
		rc = sbuf_addstr(out, "\"id\":");
		if (!rc)
			rc = put_ref(out, &pr->ref, added_ids, nknown);
		if (!rc)
			rc = sbuf_addch(out, ',');
	}
	if (!rc)
		rc = put_loc(out, &r->loc, added_ids, nknown);
	if (!rc && r->kind == EDIT_REQ_MOVE && !pr->ncells) {
		out->len--; /* the comma after the last attribute */
		out->buf[out->len] = '\0';
		return sbuf_addch(out, '}');
	}
	if (!rc)
		rc = sbuf_addstr(out, "\"cells\":[");
	for (k = 0; k < pr->ncells && !rc; k++) {
		if (k)
			rc = sbuf_addch(out, ',');
		if (!rc)
			rc = edit_value_body(pr->cells[k].column_id,
					     &pr->cells[k].v, out);
	}
	if (!rc)
		rc = sbuf_addstr(out, "]}");
	return rc;
}

int edit_req_body(const struct edit_plan *p, size_t i, const int64_t *added_ids,
		  size_t nknown, struct sbuf *out)
{
	const struct edit_req *r = &p->reqs[i];
	uint32_t k;
	int rc;

	if (r->kind == EDIT_REQ_DELETE) {
		rc = sbuf_addstr(out, "ids=");
		for (k = 0; k < r->nrows && !rc; k++) {
			if (k)
				rc = sbuf_addch(out, ',');
			if (!rc)
				rc = put_ref(out, &r->rows[k].ref, added_ids,
					     nknown);
		}
		if (!rc)
			rc = sbuf_addstr(out, "&ignoreRowsNotFound=false");
		return rc;
	}
	rc = sbuf_addch(out, '[');
	for (k = 0; k < r->nrows && !rc; k++) {
		if (k)
			rc = sbuf_addch(out, ',');
		if (!rc)
			rc = put_row(out, r, &r->rows[k], added_ids, nknown);
	}
	if (!rc)
		rc = sbuf_addch(out, ']');
	return rc;
}

/*
 * The cells of a new row from its fields: empty fields and computed
 * columns left out. Shared with the diff (diff.c) through plan_i.h.
 */
int edit_plan_new_cells(struct edit_plan *p, const struct model_sheet *s,
			const struct edit_doc *doc, size_t row,
			struct edit_prow *out, char *err)
{
	const struct edit_doc_row *dr = &doc->rows[row];
	const char *f = dr->fields;
	struct edit_cell *cells;
	char t[EDIT_SHORT_MAX];
	uint32_t n = 0;
	size_t c;
	int rc;

	cells =
	    arena_alloc(p->arena, (s->ncols ? s->ncols : 1) * sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	for (c = 0; c < s->ncols; c++, f = edit_next_field(f)) {
		const struct model_column *col = &s->cols[c];

		if (!*f || col->system_type != MODEL_SYS_NONE || col->formula)
			continue;
		if (model_locked_for_user(s, col->locked))
			return edit_errf(
			    err, 0,
			    "line %u, column \"%s\": the column is "
			    "locked",
			    dr->line, edit_short(t, col->title));
		rc = doc->fmt == EDIT_FMT_JSON
			 ? edit_value_from_json(col, f, dr->line, p->arena,
						&cells[n].v, err)
			 : edit_value_from_text(col, f, dr->line, p->arena,
						&cells[n].v, err);
		if (rc)
			return rc;
		if (cells[n].v.kind == EDIT_VAL_EMPTY)
			continue; /* null or [] in JSON: nothing to send */
		cells[n].col = (uint32_t)c;
		cells[n].column_id = col->id;
		n++;
	}
	out->cells = cells;
	out->ncells = n;
	out->line = dr->line;
	return 0;
}

int edit_plan_append(const struct model_sheet *s, const struct edit_doc *doc,
		     struct edit_plan **out, char *err)
{
	struct edit_plan *p = edit_plan_new();
	struct edit_req *r = NULL;
	size_t i;
	int rc = p ? 0 : -ENOMEM;

	for (i = 0; i < doc->nrows && !rc; i++) {
		if (!r || r->nrows == EDIT_MAX_ROWS_PER_REQ) {
			size_t left = doc->nrows - i;

			r = edit_plan_add_req(p, EDIT_REQ_ADD,
					      left < EDIT_MAX_ROWS_PER_REQ
						  ? (uint32_t)left
						  : EDIT_MAX_ROWS_PER_REQ);
			if (!r) {
				rc = -ENOMEM;
				break;
			}
			r->loc.kind = EDIT_LOC_BOTTOM;
		}
		rc = edit_plan_new_cells(p, s, doc, i, &r->rows[r->nrows], err);
		if (rc)
			break;
		r->rows[r->nrows].ref.added = (uint32_t)p->nadded++;
		r->nrows++;
	}
	if (rc) {
		edit_plan_free(p);
		return rc;
	}
	p->counts.added = p->nadded;
	*out = p;
	return 0;
}
