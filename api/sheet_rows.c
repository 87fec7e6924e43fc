/*
 * How a sheet is put together as its containers end: columns and the
 * columnId -> index map, each row's cells resolved, sorted by column and
 * deduplicated (the last wins), multi-value objectValues; rows that ended
 * before the columns are resolved at finish. The jsonwalk end handler of
 * the sheet parser, on the thread feeding it (see sheet_parser.c).
 */
#include "api/sheet_rows_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonwalk.h"

static uint32_t id_hash(int64_t id, size_t mask)
{
	return (uint32_t)((((uint64_t)id * 0x9E3779B97F4A7C15u) >> 32) & mask);
}

/* Column index for id, or -1. */
static int64_t col_lookup(struct sheet_parser *p, int64_t id)
{
	size_t i;

	if (p->hint < p->ncols && p->cols[p->hint].id == id)
		return p->hint;
	if (!p->map)
		return -1;
	for (i = id_hash(id, p->map_mask); p->map[i].used;
	     i = (i + 1) & p->map_mask)
		if (p->map[i].id == id)
			return p->map[i].idx;
	return -1;
}

static int build_map(struct sheet_parser *p)
{
	size_t cap = 8, i, j;

	while (cap < p->ncols * 2)
		cap *= 2;
	p->map = calloc(cap, sizeof(*p->map));
	if (!p->map)
		return jsonwalk_fail(p->w, -ENOMEM, "out of memory");
	p->heap_bytes += cap * sizeof(*p->map);
	p->map_mask = cap - 1;
	for (i = 0; i < p->ncols; i++) {
		for (j = id_hash(p->cols[i].id, p->map_mask); p->map[j].used;
		     j = (j + 1) & p->map_mask)
			if (p->map[j].id == p->cols[i].id)
				break;
		if (p->map[j].used)
			continue; /* a duplicate column id: the first wins */
		p->map[j].used = true;
		p->map[j].id = p->cols[i].id;
		p->map[j].idx = (uint32_t)i;
	}
	p->cols_done = true;
	return sheet_parser_check_cap(p);
}

/* A column's options, gathered as items: an array in the arena. */
static int end_options(struct sheet_parser *p)
{
	const char **v;
	size_t i;

	if (p->nitems == 0 || p->nitems > UINT32_MAX)
		return 1;
	v = sheet_parser_alloc(p, p->nitems * sizeof(*v));
	if (!v)
		return 0;
	for (i = 0; i < p->nitems; i++)
		v[i] = p->items[i].a;
	p->col.options = v;
	p->col.noptions = (uint32_t)p->nitems;
	p->nitems = 0;
	return 1;
}

static int end_column(struct sheet_parser *p)
{
	struct model_column *c;

	if (!p->col_has_id)
		return jsonwalk_fail(p->w, -EIO, "column without \"%s\"",
				     p->report ? "virtualId" : "id");
	if (p->ncols >= UINT32_MAX)
		return jsonwalk_fail(p->w, -EFBIG, "too many columns");
	if (!sheet_parser_grow(p, &p->cols, &p->cols_cap, p->ncols + 1,
			       sizeof(*p->cols)))
		return 0;
	c = &p->cols[p->ncols++];
	*c = p->col;
	if (!c->title)
		c->title = "";
	if (!c->type_name)
		c->type_name = "";
	c->type = model_col_type_from_name(c->type_name);
	return 1;
}

static int end_cell(struct sheet_parser *p)
{
	struct sheet_pcell *pc = &p->cell;
	int64_t idx = 0;

	if (!p->cell_has_col)
		return jsonwalk_fail(p->w, -EIO, "cell without \"%s\"",
				     p->report ? "virtualColumnId"
					       : "columnId");
	if (pc->c.kind == MODEL_VAL_NONE && !pc->c.display && !pc->c.multi)
		return 1;
	if (p->cols_done) {
		idx = col_lookup(p, pc->col_id);
		if (idx < 0)
			return 1; /* not a column of this sheet */
		pc->c.col = (uint32_t)idx;
		p->hint = (uint32_t)idx + 1;
	}
	if (p->ncs >= UINT32_MAX)
		return jsonwalk_fail(p->w, -EFBIG, "too many cells in a row");
	if (!sheet_parser_grow(p, &p->cs, &p->cs_cap, p->ncs + 1,
			       sizeof(*p->cs)))
		return 0;
	pc->seq = (uint32_t)p->ncs;
	p->cs[p->ncs++] = *pc;
	return 1;
}

static int pcell_cmp(const void *a, const void *b)
{
	const struct sheet_pcell *x = a, *y = b;

	if (x->c.col != y->c.col)
		return x->c.col < y->c.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Sort cs[0..n) by column and keep the last of each column; returns the new
 * count. Cells nearly always arrive in column order: check that first.
 */
static size_t sort_cells(struct sheet_pcell *cs, size_t n)
{
	size_t i, o;

	for (i = 1; i < n; i++)
		if (cs[i - 1].c.col >= cs[i].c.col)
			break;
	if (i >= n)
		return n;
	qsort(cs, n, sizeof(*cs), pcell_cmp);
	for (i = 0, o = 0; i < n; i++) {
		if (i + 1 < n && cs[i + 1].c.col == cs[i].c.col)
			continue;
		cs[o++] = cs[i];
	}
	return o;
}

static int end_row(struct sheet_parser *p)
{
	struct model_row *r;
	size_t i, n = p->ncs;

	if (!p->row_has_id)
		return jsonwalk_fail(p->w, -EIO, "row without \"id\"");
	if (!sheet_parser_grow(p, &p->rows, &p->rows_cap, p->nrows + 1,
			       sizeof(*p->rows)))
		return 0;
	if (p->cols_done) {
		n = sort_cells(p->cs, n);
	} else {
		/* Columns unknown yet: keep the raw ids for finish(). */
		if (!sheet_parser_grow(p, &p->defer_ids, &p->defer_cap,
				       p->ndefer + n, sizeof(*p->defer_ids)))
			return 0;
		for (i = 0; i < n; i++)
			p->defer_ids[p->ndefer++] = p->cs[i].col_id;
		p->deferred_rows++;
	}
	r = &p->rows[p->nrows];
	*r = p->row;
	r->cells = NULL;
	r->ncells = (uint32_t)n;
	if (n) {
		r->cells = sheet_parser_alloc(p, n * sizeof(*r->cells));
		if (!r->cells)
			return 0;
		for (i = 0; i < n; i++)
			r->cells[i] = p->cs[i].c;
	}
	p->nrows++;
	p->ncs = 0;
	return 1;
}

/* The objectValue ended: keep it if it is a multi-picklist/contact list. */
static int end_objv(struct sheet_parser *p)
{
	struct model_multi *m;
	bool contacts = p->ov_type == SHEET_OV_MULTI_CONTACT;
	size_t i;

	if (p->ov_type == SHEET_OV_OTHER || !p->ov_has_values || p->ov_bad)
		return 1;
	for (i = 0; i < p->nitems; i++)
		if (p->items[i].contact != contacts)
			return 1;
	if (p->nitems > UINT32_MAX)
		return 1;
	m = sheet_parser_alloc(p, sizeof(*m));
	if (!m)
		return 0;
	m->contacts = contacts;
	m->count = (uint32_t)p->nitems;
	/* + 1: an empty list is still an allocation */
	if (contacts) {
		m->v.contacts = sheet_parser_alloc(
		    p, p->nitems * sizeof(*m->v.contacts) + 1);
		if (!m->v.contacts)
			return 0;
		for (i = 0; i < p->nitems; i++) {
			m->v.contacts[i].name = p->items[i].a;
			m->v.contacts[i].email = p->items[i].b;
		}
	} else {
		m->v.strings = sheet_parser_alloc(
		    p, p->nitems * sizeof(*m->v.strings) + 1);
		if (!m->v.strings)
			return 0;
		for (i = 0; i < p->nitems; i++)
			m->v.strings[i] = p->items[i].a;
	}
	p->cell.c.multi = m;
	return 1;
}

int sheet_rows_add_item(struct sheet_parser *p, const char *a, const char *b,
			bool contact)
{
	if (!sheet_parser_grow(p, &p->items, &p->items_cap, p->nitems + 1,
			       sizeof(*p->items)))
		return 0;
	p->items[p->nitems].a = a;
	p->items[p->nitems].b = b;
	p->items[p->nitems].contact = contact;
	p->nitems++;
	return 1;
}

/* Rows that ended before the columns: resolve, sort and dedupe in place. */
int sheet_rows_resolve(struct sheet_parser *p)
{
	const int64_t *ids = p->defer_ids;
	size_t r, i, n;

	for (r = 0; r < p->deferred_rows; r++) {
		struct model_row *row = &p->rows[r];

		p->ncs = 0;
		p->hint = 0;
		for (i = 0; i < row->ncells; i++) {
			int64_t idx = col_lookup(p, *ids++);

			if (idx < 0)
				continue;
			if (!sheet_parser_grow(p, &p->cs, &p->cs_cap,
					       p->ncs + 1, sizeof(*p->cs)))
				return jsonwalk_error(p->w);
			p->cs[p->ncs].c = row->cells[i];
			p->cs[p->ncs].c.col = (uint32_t)idx;
			p->cs[p->ncs].seq = (uint32_t)p->ncs;
			p->ncs++;
			p->hint = (uint32_t)idx + 1;
		}
		n = sort_cells(p->cs, p->ncs);
		for (i = 0; i < n; i++)
			row->cells[i] = p->cs[i].c;
		row->ncells = (uint32_t)n;
		if (!n)
			row->cells = NULL;
	}
	p->ncs = 0;
	return 0;
}

int sheet_rows_end(void *ctx, int frame)
{
	struct sheet_parser *p = ctx;

	switch (frame) {
	case SHEET_FRAME_COLS:
		return build_map(p);
	case SHEET_FRAME_COL:
		return end_column(p);
	case SHEET_FRAME_ROW:
		return end_row(p);
	case SHEET_FRAME_CELL:
		if (!end_cell(p))
			return 0;
		p->cells_seen++;
		return 1;
	case SHEET_FRAME_OBJV:
		return end_objv(p);
	case SHEET_FRAME_CONTACT:
		return sheet_rows_add_item(p, p->ct_name, p->ct_email, true);
	case SHEET_FRAME_OPTIONS:
		return end_options(p);
	default:
		return 1;
	}
}
