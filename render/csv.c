/*
 * Sheet model -> CSV (SPEC §4): the column titles, then a record per row;
 * fields quoted only where they must be, values raw or display, LF or CRLF.
 * The output is estimated once and grown rarely. Pure: no I/O, no locks, no
 * state; any thread may call it.
 */
#include "render/csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "render/number.h"
#include "render/render_i.h"

/* Append s as one field; its first q bytes need no quoting. */
static int quote_from(struct sbuf *out, const char *s, size_t q)
{
	size_t n, nq = 0, i;
	char *w;
	int rc;

	if (s[q] == '\0')
		return render_put(out, s, q);
	n = q + strlen(s + q);
	for (i = q; i < n; i++)
		nq += s[i] == '"';
	rc = sbuf_grow(out, n + nq + 2);
	if (rc)
		return rc;
	w = out->buf + out->len;
	*w++ = '"';
	memcpy(w, s, q);
	w += q;
	for (i = q; i < n; i++) {
		if (s[i] == '"')
			*w++ = '"';
		*w++ = s[i];
	}
	*w++ = '"';
	out->len = (size_t)(w - out->buf);
	out->buf[out->len] = '\0';
	return 0;
}

int render_csv_field(struct sbuf *out, const char *s)
{
	/* The prefix that needs no quoting; all of s in the common case. */
	return quote_from(out, s, strcspn(s, ",\"\r\n"));
}

/* Neither value nor displayValue: the objectValue array joined by ", ",
 * into scratch. */
static int put_multi(struct sbuf *scratch, const struct model_multi *m,
		     bool display)
{
	const char *t;
	uint32_t i;
	int rc = 0;

	sbuf_reset(scratch);
	for (i = 0; i < m->count && !rc; i++) {
		if (m->contacts) {
			const struct model_contact *ct = &m->v.contacts[i];

			t = display ? (ct->name ? ct->name : ct->email)
				    : (ct->email ? ct->email : ct->name);
		} else {
			t = m->v.strings[i];
		}
		if (i)
			rc = RENDER_PUT_LIT(scratch, ", ");
		if (!rc && t)
			rc = sbuf_addstr(scratch, t);
	}
	return rc;
}

/*
 * The text the file shows for c, before quoting (NUL-terminated): a string
 * of the cell, num or scratch; NULL for an empty cell, or with *rc set when
 * joining an objectValue array failed.
 */
static const char *cell_text(const struct model_cell *c, bool display,
			     char *num, struct sbuf *scratch, int *rc)
{
	*rc = 0;
	if (display && c->display)
		return c->display;
	if (render_has_value(c)) {
		switch (c->kind) {
		case MODEL_VAL_STRING:
			return c->str;
		case MODEL_VAL_NUMBER:
			(void)render_number(c->num, num);
			return num;
		default:
			return c->flag ? "true" : "false";
		}
	}
	if (c->display)
		return c->display;
	if (c->multi) {
		*rc = put_multi(scratch, c->multi, display);
		return *rc ? NULL : scratch->buf;
	}
	return NULL;
}

static int put_cell(struct sbuf *out, const struct model_cell *c, bool display,
		    struct sbuf *scratch)
{
	char num[RENDER_NUM_MAX];
	int rc;
	const char *t = cell_text(c, display, num, scratch, &rc);

	if (!t)
		return rc;
	if (t == num) /* numbers never need quotes */
		return render_put(out, t, strlen(t));
	return render_csv_field(out, t);
}

int render_csv_cell_text(struct sbuf *out, const struct model_cell *c,
			 bool display, struct sbuf *scratch)
{
	char num[RENDER_NUM_MAX];
	const char *t;
	int rc = 0;

	if (!c)
		return 0;
	t = cell_text(c, display, num, scratch, &rc);
	if (t)
		rc = render_put(out, t, strlen(t));
	return rc;
}

/*
 * The estimates below aim low (a number counts 8 bytes, quoting and escapes
 * nothing): sbuf rounds its allocation up to a power of two, so guessing
 * high can double the memory, while guessing a little low costs at most one
 * more doubling.
 */
static size_t estimate(const struct model_sheet *s, bool display)
{
	size_t est = 2, i;
	uint32_t j;

	for (i = 0; i < s->ncols; i++)
		est += strlen(s->cols[i].title) + 3;
	for (i = 0; i < s->nrows; i++) {
		const struct model_row *r = &s->rows[i];

		est += s->ncols + 2;
		for (j = 0; j < r->ncells; j++) {
			const struct model_cell *c = &r->cells[j];
			const char *t = NULL;

			if (display && c->display)
				t = c->display;
			else if (c->kind == MODEL_VAL_STRING && c->str)
				t = c->str;
			else if (!render_has_value(c))
				t = c->display;
			est += t ? strlen(t) : 8;
		}
	}
	return est;
}

static int put_rows(const struct model_sheet *s, bool display, const char *eol,
		    size_t eol_len, struct sbuf *out, struct sbuf *scratch)
{
	size_t i, col;
	uint32_t j;
	int rc;

	for (i = 0; i < s->ncols; i++) {
		if (i) {
			rc = RENDER_PUT_LIT(out, ",");
			if (rc)
				return rc;
		}
		rc = render_csv_field(out, s->cols[i].title);
		if (rc)
			return rc;
	}
	rc = render_put(out, eol, eol_len);
	for (i = 0; i < s->nrows && !rc; i++) {
		const struct model_row *r = &s->rows[i];

		/* Cells are sorted by column: walk them beside the columns. */
		j = 0;
		for (col = 0; col < s->ncols && !rc; col++) {
			if (col)
				rc = RENDER_PUT_LIT(out, ",");
			while (j < r->ncells && r->cells[j].col < col)
				j++;
			if (!rc && j < r->ncells && r->cells[j].col == col)
				rc = put_cell(out, &r->cells[j], display,
					      scratch);
		}
		if (!rc)
			rc = render_put(out, eol, eol_len);
	}
	return rc;
}

int render_csv(const struct model_sheet *s, const struct render_opts *o,
	       struct sbuf *out)
{
	struct sbuf scratch = SBUF_INIT(out->max);
	bool display = o && o->display;
	bool crlf = o && o->crlf;
	int rc;

	rc = render_reserve(out, estimate(s, display) + 3);
	if (rc)
		goto out;
	/* -o bom: UTF-8's byte order mark, so that Excel reads UTF-8. */
	if (o && o->bom) {
		rc = RENDER_PUT_LIT(out, "\xEF\xBB\xBF");
		if (rc)
			goto out;
	}
	rc = put_rows(s, display, crlf ? "\r\n" : "\n", crlf ? 2 : 1, out,
		      &scratch);
out:
	sbuf_release(&scratch);
	if (rc)
		sbuf_release(out);
	return rc;
}
