/*
 * The row diff's property (edit/diff.c): a base sheet built from the
 * input (columns, a hierarchy, cells from a small vocabulary so that rows
 * repeat), its CSV as render/ writes it, then that text mutated by the
 * rest of the input (rows deleted, copied, moved, inserted, cells
 * changed). The unchanged text gives an empty plan; the mutated one is
 * refused with EINVAL or gives, in the simulator, exactly the new rows,
 * and every row whose text is a base row's keeps such a row's id.
 */
#include <stdint.h>

#include "render/csv.h"
#include "tests/fuzz/edit_fuzz.h"

static const char *const vocab[] = {
    "",	    "a",     "b",      "A",   "1",    "2.5", "x,y",	  "q\"q",
    "true", "false", "l1\nl2", " s ", "a, b", "007", "2024-01-02"};
#define NV (sizeof(vocab) / sizeof(vocab[0]))
#define MAX_ROWS 40

struct input {
	const uint8_t *d;
	size_t n;
};

static unsigned next(struct input *in)
{
	unsigned v;

	if (!in->n)
		return 0;
	v = *in->d++;
	in->n--;
	return v;
}

static struct model_sheet *base(struct input *in)
{
	static const char *const titles[] = {"Task", "B", "C", "D"};
	static const enum model_col_type kinds[] = {
	    MODEL_COL_TEXT_NUMBER, MODEL_COL_CHECKBOX, MODEL_COL_MULTI_PICKLIST,
	    MODEL_COL_TEXT_NUMBER};
	enum model_col_type types[4];
	size_t ncols = 1 + next(in) % 4, nrows = next(in) % MAX_ROWS, i, c;
	int64_t parent[MAX_ROWS];
	struct model_sheet *s;

	for (c = 0; c < 4; c++)
		types[c] = c ? kinds[next(in) % 4] : MODEL_COL_TEXT_NUMBER;
	s = t_sheet_new(titles, types, ncols);
	if (!s)
		abort();
	for (i = 0; i < nrows; i++) {
		const char *f[4];
		unsigned how = next(in) % 3;

		/* Top level, child of the row before, or its sibling. */
		parent[i] = 0;
		if (i && how == 1)
			parent[i] = 101 + (int64_t)i - 1;
		else if (i && how == 2)
			parent[i] = parent[i - 1];
		for (c = 0; c < ncols; c++)
			f[c] = vocab[next(in) % NV];
		t_sheet_row(s, 101 + (int64_t)i, parent[i], f);
	}
	return s;
}

/* The records of text (header excluded) as field arrays. */
struct recs {
	char *f[2 * MAX_ROWS + 8][4];
	size_t n, ncols;
};

static void append_text(struct sbuf *out, const struct recs *r,
			const struct model_sheet *s)
{
	size_t i, c;

	for (c = 0; c < s->ncols; c++) {
		if (c)
			(void)!sbuf_addch(out, ',');
		(void)!render_csv_field(out, s->cols[c].title);
	}
	(void)!sbuf_addch(out, '\n');
	for (i = 0; i < r->n; i++) {
		for (c = 0; c < r->ncols; c++) {
			if (c)
				(void)!sbuf_addch(out, ',');
			(void)!render_csv_field(out, r->f[i][c]);
		}
		(void)!sbuf_addch(out, '\n');
	}
}

static void mutate(struct recs *r, struct input *in)
{
	unsigned ops = next(in) % 6, k;
	size_t i, j, c;

	for (k = 0; k < ops && in->n; k++) {
		unsigned op = next(in) % 5;

		i = r->n ? next(in) % r->n : 0;
		j = next(in) % (r->n + 1);
		if (op == 0 && r->n) { /* delete i */
			memmove(&r->f[i], &r->f[i + 1],
				(r->n - i - 1) * sizeof(r->f[0]));
			r->n--;
		} else if ((op == 1 || op == 4) && r->n + 1 < 2 * MAX_ROWS) {
			/* copy i to j, or a new row at j */
			char *row[4];

			for (c = 0; c < r->ncols; c++)
				row[c] = op == 1 && r->n
					     ? r->f[i][c]
					     : (char *)(uintptr_t)
						   vocab[next(in) % NV];
			memmove(&r->f[j + 1], &r->f[j],
				(r->n - j) * sizeof(r->f[0]));
			memcpy(r->f[j], row, sizeof(row));
			r->n++;
		} else if (op == 2 && r->n) { /* move i to j */
			char *row[4];

			memcpy(row, r->f[i], sizeof(row));
			memmove(&r->f[i], &r->f[i + 1],
				(r->n - i - 1) * sizeof(r->f[0]));
			j = j % r->n;
			memmove(&r->f[j + 1], &r->f[j],
				(r->n - 1 - j) * sizeof(r->f[0]));
			memcpy(r->f[j], row, sizeof(row));
		} else if (op == 3 && r->n) { /* change a cell */
			c = next(in) % r->ncols;
			r->f[i][c] = (char *)(uintptr_t)vocab[next(in) % NV];
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct model_sheet *s = base(&in);
	struct render_opts o = {.crlf = next(&in) & 1};
	struct sbuf csv = SBUF_INIT(0), text = SBUF_INIT(0);
	struct edit_doc doc = {0};
	struct edit_plan *p = NULL;
	struct recs r = {.n = 0};
	char err[EDIT_ERR_MAX];
	size_t i, c;
	const char *f;

	if (render_csv(s, &o, &csv) ||
	    t_parse(s, csv.buf, csv.len, false, &doc, err))
		abort(); /* what render/ writes must read back */
	/* Unchanged: nothing to send. */
	if (edit_diff(s, &doc, NULL, &p, err) || p->nreqs)
		abort();
	edit_plan_free(p);
	r.ncols = s->ncols;
	for (i = 0; i < doc.nrows; i++)
		for (c = 0, f = doc.rows[i].fields; c < s->ncols;
		     c++, f = edit_next_field(f))
			r.f[i][c] = (char *)(uintptr_t)f;
	r.n = doc.nrows;
	mutate(&r, &in);
	append_text(&text, &r, s);
	fz_diff_check(s, text.buf, text.len, false, 1 + next(&in) % 7);
	edit_doc_release(&doc);
	sbuf_release(&csv);
	sbuf_release(&text);
	model_sheet_free(s);
	return 0;
}
