#ifndef SSFS_TESTS_UNIT_EDIT_CHECK_H
#define SSFS_TESTS_UNIT_EDIT_CHECK_H

/*
 * For the edit/ unit tests and fuzzers: sheets built in memory (freed with
 * model_sheet_free), texts parsed whole, and the property every diff must
 * have: applying the plan to the base in the simulator (edit/apply.h) gives
 * exactly the new text's rows, in order, and every row whose text is a
 * base row's keeps the id of a base row with that text.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "edit/cellout.h"
#include "edit/apply.h"
#include "edit/csvin.h"
#include "edit/diff.h"
#include "edit/jsonin.h"
#include "edit/plan.h"
#include "edit/values.h"
#include "render/number.h"
#include "util/arena.h"
#include "util/sbuf.h"

/* A sheet of ncols columns (titles, types; primary: column 0). */
static inline struct model_sheet *t_sheet_new(const char *const *titles,
					      const enum model_col_type *types,
					      size_t ncols)
{
	struct model_sheet *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->arena = arena_new();
	s->cols = calloc(ncols + 1, sizeof(*s->cols));
	s->name = "Sheet";
	s->id = 7;
	s->version = 1;
	s->access_level = "EDITOR";
	for (i = 0; i < ncols; i++) {
		s->cols[i].id = 1000 + (int64_t)i;
		s->cols[i].title = arena_strdup(s->arena, titles[i]);
		s->cols[i].type = types ? types[i] : MODEL_COL_TEXT_NUMBER;
		s->cols[i].type_name = "TEXT_NUMBER";
		s->cols[i].primary = i == 0;
	}
	s->ncols = ncols;
	return s;
}

/* Append a row (id, parent id or 0) whose fields are the texts of fields
 * (NULL or "" for an empty cell): a number in a TEXT_NUMBER column when it
 * is render_number's text, true/false in a CHECKBOX column, else text. */
static inline void t_sheet_row(struct model_sheet *s, int64_t id,
			       int64_t parent, const char *const *fields)
{
	struct model_row *r;
	size_t c;

	s->rows = realloc(s->rows, (s->nrows + 1) * sizeof(*s->rows));
	r = &s->rows[s->nrows++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->parent_id = parent;
	r->row_number = (int64_t)s->nrows;
	r->cells = arena_alloc(s->arena, (s->ncols + 1) * sizeof(*r->cells));
	for (c = 0; c < s->ncols; c++) {
		const char *f = fields[c];
		struct model_cell *cell = &r->cells[r->ncells];
		char num[RENDER_NUM_MAX];
		char *end;
		double x;

		if (!f || !*f)
			continue;
		memset(cell, 0, sizeof(*cell));
		cell->col = (uint32_t)c;
		x = strtod(f, &end);
		if (s->cols[c].type == MODEL_COL_CHECKBOX &&
		    (!strcmp(f, "true") || !strcmp(f, "false"))) {
			cell->kind = MODEL_VAL_BOOL;
			cell->flag = f[0] == 't';
		} else if (s->cols[c].type == MODEL_COL_TEXT_NUMBER && !*end &&
			   (render_number(x, num), strcmp(num, f) == 0)) {
			cell->kind = MODEL_VAL_NUMBER;
			cell->num = x;
		} else {
			cell->kind = MODEL_VAL_STRING;
			cell->str = arena_strdup(s->arena, f);
		}
		r->ncells++;
	}
}

/*
 * Parse text in pieces of step bytes (CSV in mode, or JSON) into a new
 * doc; the reader is freed, the doc kept (the caller releases it). rc as
 * the readers'.
 */
static inline int t_parse_pieces(const struct model_sheet *s, const char *text,
				 size_t len, bool json, enum edit_csv_mode mode,
				 size_t step, struct edit_doc *doc, char *err)
{
	struct edit_csvin *c = json ? NULL : edit_csvin_new(s, mode);
	struct edit_jsonin *j = json ? edit_jsonin_new(s) : NULL;
	struct edit_doc *d;
	size_t off = 0, k;
	int rc = 0;

	if (!c && !j)
		return -ENOMEM;
	while (!rc && off < len) {
		k = len - off < step ? len - off : step;
		rc = json ? edit_jsonin_feed(j, text + off, k, err)
			  : edit_csvin_feed(c, text + off, k, err);
		off += k;
	}
	if (!rc)
		rc = json ? edit_jsonin_finish(j, err)
			  : edit_csvin_finish(c, err);
	d = json ? edit_jsonin_doc(j) : edit_csvin_doc(c);
	*doc = *d; /* the doc is the caller's now */
	memset(d, 0, sizeof(*d));
	edit_csvin_free(c);
	edit_jsonin_free(j);
	return rc;
}

/* A whole text, as an edit. */
static inline int t_parse(const struct model_sheet *s, const char *text,
			  size_t len, bool json, struct edit_doc *doc,
			  char *err)
{
	return t_parse_pieces(s, text, len, json, EDIT_CSV_EDIT, len ? len : 1,
			      doc, err);
}

/* The parse as one string: "ERR <err>", or each row as "[id]@line
 * f1|f2|...;" (the id with with_id). */
static inline void t_parse_dump(const struct model_sheet *s, const char *text,
				bool json, enum edit_csv_mode mode, size_t step,
				bool with_id, char *out, size_t n)
{
	struct edit_doc d = {0};
	char err[EDIT_ERR_MAX] = "";
	size_t k, c, used = 0;
	int rc =
	    t_parse_pieces(s, text, strlen(text), json, mode, step, &d, err);

	out[0] = '\0';
	if (rc)
		snprintf(out, n, "ERR %s", err);
	for (k = 0; !rc && k < d.nrows && used < n; k++) {
		const char *f = d.rows[k].fields;

		if (with_id)
			used += (size_t)snprintf(out + used, n - used,
						 "%" PRId64, d.rows[k].id);
		if (used < n)
			used += (size_t)snprintf(out + used, n - used, "@%u ",
						 d.rows[k].line);
		for (c = 0; c < s->ncols && used < n; c++) {
			used += (size_t)snprintf(out + used, n - used, "%s%s",
						 c ? "|" : "", f);
			f = edit_next_field(f);
		}
		if (used < n)
			used += (size_t)snprintf(out + used, n - used, ";");
	}
	edit_doc_release(&d);
}

/* The text base row b shows (doc.h's blob form) in out. */
static inline void t_base_blob(const struct model_sheet *s, size_t b,
			       enum edit_fmt fmt, bool display,
			       struct sbuf *out)
{
	struct sbuf scratch = SBUF_INIT(0);
	size_t c;

	sbuf_reset(out);
	for (c = 0; c < s->ncols; c++) {
		(void)!edit_value_base_show(
		    model_row_cell(&s->rows[b], (uint32_t)c), fmt, display, out,
		    &scratch);
		(void)!sbuf_addch(out, '\0');
	}
	sbuf_release(&scratch);
}

static inline bool t_same_field(const struct model_column *col, const char *x,
				const char *y)
{
	if (!strcmp(x, y))
		return true;
	return col->type == MODEL_COL_CHECKBOX &&
	       ((!*x && !strcmp(y, "false")) || (!*y && !strcmp(x, "false")));
}

/* Whether doc row k's text equals blob b. */
static inline bool t_is(const struct edit_doc *doc, size_t k,
			const struct sbuf *b)
{
	return b->len == doc->rows[k].len &&
	       !memcmp(b->buf, doc->rows[k].fields, b->len);
}

/*
 * Rows whose text is a base row's keep ids: for each text, as many of its
 * rows in the new text keep the id of a base row of that text as both
 * have copies of it. ids[k]: the id row k ended with. 0 or 1 with why.
 */
static inline int t_check_ids(const struct model_sheet *s,
			      const struct edit_doc *doc, bool display,
			      const int64_t *ids, char *why, size_t n)
{
	struct sbuf *blob = calloc(s->nrows + 1, sizeof(*blob));
	size_t k, j, b;
	int bad = 0;

	for (b = 0; b < s->nrows; b++) {
		sbuf_init(&blob[b], 0);
		t_base_blob(s, b, doc->fmt, display, &blob[b]);
	}
	for (k = 0; k < doc->nrows && !bad; k++) {
		size_t nnew = 0, nbase = 0, kept = 0;

		for (j = 0; j < k; j++)
			if (doc->rows[j].len == doc->rows[k].len &&
			    !memcmp(doc->rows[j].fields, doc->rows[k].fields,
				    doc->rows[k].len))
				break;
		if (j < k)
			continue; /* that text was counted */
		for (b = 0; b < s->nrows; b++)
			nbase += t_is(doc, k, &blob[b]);
		for (j = k; j < doc->nrows; j++) {
			if (doc->rows[j].len != doc->rows[k].len ||
			    memcmp(doc->rows[j].fields, doc->rows[k].fields,
				   doc->rows[k].len))
				continue;
			nnew++;
			for (b = 0; b < s->nrows; b++)
				if (s->rows[b].id == ids[j] &&
				    t_is(doc, k, &blob[b]))
					kept++;
		}
		if (kept != (nnew < nbase ? nnew : nbase)) {
			snprintf(why, n,
				 "row %zu: %zu of %zu copies kept a base id "
				 "(the base has %zu)",
				 k + 1, kept, nnew, nbase);
			bad = 1;
		}
	}
	for (b = 0; b < s->nrows; b++)
		sbuf_release(&blob[b]);
	free(blob);
	return bad;
}

/*
 * The property. 0, or 1 with why (n bytes) saying what is wrong. CSV docs
 * compare every cell's text and the ids of unchanged rows (t_check_ids);
 * JSON docs that each row with an id kept it.
 */
static inline int t_check(const struct model_sheet *s,
			  const struct edit_doc *doc, const struct edit_plan *p,
			  bool display, char *why, size_t n)
{
	struct edit_sim *sim = edit_sim_new(s);
	struct sbuf txt = SBUF_INIT(0);
	int64_t *ids = calloc(doc->nrows + 1, sizeof(*ids));
	size_t k, c;
	int32_t x;
	int bad = 0;

	if (!sim || !ids || edit_sim_run(sim, p)) {
		snprintf(why, n, "the simulator refused the plan: error %d",
			 sim ? edit_sim_error(sim) : -1);
		edit_sim_free(sim);
		free(ids);
		return 1;
	}
	if (edit_sim_count(sim) != doc->nrows) {
		snprintf(why, n, "%zu rows, the text has %zu",
			 edit_sim_count(sim), doc->nrows);
		bad = 1;
	}
	for (k = 0, x = edit_sim_first(sim); !bad && x >= 0;
	     k++, x = edit_sim_next(sim, x)) {
		const char *f = doc->rows[k].fields;
		int64_t id = edit_sim_id(sim, x);

		ids[k] = id;
		for (c = 0; doc->fmt == EDIT_FMT_CSV && c < s->ncols && !bad;
		     c++, f = edit_next_field(f)) {
			const struct model_column *col = &s->cols[c];

			if (id < 0 && (col->system_type || col->formula))
				continue;
			sbuf_reset(&txt);
			(void)!edit_sim_show(sim, x, c, doc->fmt, display,
					     &txt);
			if (!t_same_field(col, f, txt.buf)) {
				snprintf(
				    why, n,
				    "row %zu, column %zu: \"%s\", the text "
				    "has \"%s\"",
				    k + 1, c + 1, txt.buf, f);
				bad = 1;
			}
		}
		if (!bad && doc->fmt == EDIT_FMT_JSON && doc->rows[k].id &&
		    doc->rows[k].id != id) {
			snprintf(why, n,
				 "row %zu has id %" PRId64 ", not %" PRId64,
				 k + 1, id, doc->rows[k].id);
			bad = 1;
		}
	}
	if (!bad && doc->fmt == EDIT_FMT_CSV)
		bad = t_check_ids(s, doc, display, ids, why, n);
	edit_sim_free(sim);
	sbuf_release(&txt);
	free(ids);
	return bad;
}

#endif /* SSFS_TESTS_UNIT_EDIT_CHECK_H */
