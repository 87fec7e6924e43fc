/*
 * A written sheet JSON file -> rows (edit/jsonin.h): yajl callbacks drive
 * a small stack of frames; the cells of the row being read wait as
 * canonical JSON in one buffer per column, then go to the doc as one blob
 * when the row ends. Lines are counted from yajl's offset in each piece.
 * Threads: one reader per thread at a time; pure.
 */
#include "edit/jsonin.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "render/json.h"
#include "render/number.h"
#include "util/sbuf.h"

#define MAX_FRAMES 8

enum frame {
	F_NONE,
	F_TOP,
	F_COLS,
	F_COL,
	F_ROWS,
	F_ROW,
	F_CELLS,
	F_ARR,
	F_CONTACT
};

/* The key just read, in the frame that has keys. */
enum key {
	K_NONE = 0,
	K_IGNORED,
	K_COLUMNS,
	K_ROWS,
	K_TITLE,
	K_ID,
	K_CELLS,
	K_NAME,
	K_EMAIL,
	K_CELL
};

struct edit_jsonin {
	const struct model_sheet *s;
	yajl_handle h;
	locale_t c_loc;
	struct edit_doc doc;
	enum frame st[MAX_FRAMES];
	int depth; /* frames in st */
	enum key key;
	struct sbuf keys;  /* render/json.c's cell keys: `"key":` each */
	size_t *off;	   /* their offsets, ncols + 1 */
	struct sbuf *cell; /* the row being read: canonical JSON per column */
	bool *seen;	   /* which columns the row has */
	struct sbuf tmp;   /* a key or string, encoded */
	struct sbuf blob;  /* the row's fields blob */
	size_t col;	   /* the cell being read */
	size_t ntitles;	   /* "columns" seen so far */
	bool got_cols, got_rows, row_has_id;
	unsigned row_keys; /* keys seen in the row (1 << key) */
	int64_t row_id;
	bool arr_contacts, arr_strings; /* what the cell's array holds */
	char *c_name, *c_email;		/* the contact being read (malloc) */
	struct sbuf c_buf;		/* a string or key, JSON-encoded */
	/* Lines: the piece being parsed and how far it was counted. */
	const unsigned char *piece;
	size_t counted;
	uint32_t line, row_line;
	int rc;
	char *err;
};

static uint32_t line_now(struct edit_jsonin *r)
{
	size_t upto;

	if (!r->piece)
		return r->line;
	upto = yajl_get_bytes_consumed(r->h);

	for (; r->counted < upto; r->counted++)
		if (r->piece[r->counted] == '\n')
			r->line++;
	return r->line;
}

/* Refuse: the message names the row's line inside "rows", else the line. */
static int refuse(struct edit_jsonin *r, const char *what)
{
	uint32_t line =
	    r->depth > 2 && r->st[1] == F_ROWS ? r->row_line : line_now(r);

	if (!r->rc)
		r->rc = edit_errf(r->err, line, "%s", what);
	return 0;
}

static int oom(struct edit_jsonin *r, int rc)
{
	if (!r->rc)
		r->rc = rc;
	return 0;
}

static enum frame top(const struct edit_jsonin *r)
{
	return r->depth ? r->st[r->depth - 1] : F_NONE;
}

static int push(struct edit_jsonin *r, enum frame f)
{
	if (r->depth == MAX_FRAMES)
		return refuse(r, "the JSON nests deeper than a sheet file");
	r->st[r->depth++] = f;
	r->key = K_NONE;
	return 1;
}

/* A string of yajl (not NUL-terminated) as a C string in r->tmp. */
static int take(struct edit_jsonin *r, const unsigned char *s, size_t n)
{
	if (memchr(s, '\0', n))
		return refuse(r, "a string holds \\u0000");
	if (n > EDIT_MAX_FIELD_BYTES)
		return refuse(r, "a string of more than 1 MiB");
	sbuf_reset(&r->tmp);
	if (sbuf_add(&r->tmp, s, n))
		return oom(r, -ENOMEM);
	return 1;
}

/* The cell's text is complete when its value was a scalar or an array. */
static int put_cell(struct edit_jsonin *r, const char *json, size_t n)
{
	struct sbuf *c = &r->cell[r->col];

	if (sbuf_add(c, json, n))
		return oom(r, -ENOMEM);
	return 1;
}

/* A scalar value where one may be; json is its canonical text. */
static int scalar(struct edit_jsonin *r, const char *json, size_t n,
		  bool is_null)
{
	switch (top(r)) {
	case F_TOP:
	case F_COL:
		if (r->key == K_COLUMNS || r->key == K_ROWS)
			return refuse(r, "\"columns\" and \"rows\" must be "
					 "arrays");
		return 1;
	case F_ROW:
		if (r->key == K_CELLS && !is_null)
			return refuse(r, "a row's \"cells\" must be an object");
		return 1;
	case F_CELLS:
		return is_null ? 1 : put_cell(r, json, n);
	case F_ARR:
		if (is_null || r->arr_contacts || json[0] != '"')
			return refuse(r, "an array in a cell holds strings or "
					 "contacts, nothing else");
		r->arr_strings = true;
		if (r->cell[r->col].len > 1 && !put_cell(r, ",", 1))
			return 0;
		return put_cell(r, json, n);
	case F_CONTACT:
		return refuse(r, "a contact's \"name\" and \"email\" are "
				 "strings");
	default:
		return refuse(r, "a value where a sheet file has an object");
	}
}

static int cb_null(void *ctx)
{
	struct edit_jsonin *r = ctx;

	if (top(r) == F_CONTACT)
		return 1; /* a name or email of null: absent */
	return scalar(r, "", 0, true);
}

static int cb_boolean(void *ctx, int b)
{
	struct edit_jsonin *r = ctx;

	if (top(r) == F_ROW && r->key == K_ID)
		return refuse(r, "a row's \"id\" is a number");
	return b ? scalar(r, "true", 4, false) : scalar(r, "false", 5, false);
}

static int row_id(struct edit_jsonin *r, const char *t)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(t, &end, 10);
	if (*end || errno || v <= 0)
		return refuse(r, "a row's \"id\" must be a row id (a positive "
				 "whole number)");
	r->row_id = v;
	r->row_has_id = true;
	return 1;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct edit_jsonin *r = ctx;
	char num[RENDER_NUM_MAX];
	char *end;
	double x;

	if (!take(r, (const unsigned char *)s, n))
		return 0;
	if (top(r) == F_ROW && r->key == K_ID)
		return row_id(r, r->tmp.buf);
	if (top(r) != F_CELLS && top(r) != F_ARR)
		return scalar(r, "0", 1, false);
	x = strtod_l(r->tmp.buf, &end, r->c_loc);
	if (*end || !isfinite(x))
		return refuse(r, "a number out of range");
	return scalar(r, num, render_number_json(x, num), false);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct edit_jsonin *r = ctx;
	struct sbuf *enc = &r->c_buf;
	char t[EDIT_SHORT_MAX], msg[EDIT_ERR_MAX];
	const struct model_column *c;

	if (!take(r, s, n))
		return 0;
	switch (top(r)) {
	case F_COL:
		if (r->key != K_TITLE)
			return 1;
		c = r->ntitles < r->s->ncols ? &r->s->cols[r->ntitles] : NULL;
		if (c && strcmp(c->title, r->tmp.buf) == 0) {
			r->ntitles++;
			return 1;
		}
		(void)snprintf(msg, sizeof(msg),
			       "the columns must be the sheet's, in this "
			       "order: column %zu is \"%s\"%s",
			       r->ntitles + 1, edit_short(t, r->tmp.buf),
			       c ? ", not the sheet's" : ", one too many");
		return refuse(r, msg);
	case F_ROW:
		if (r->key == K_ID)
			return refuse(r, "a row's \"id\" is a number");
		return scalar(r, "", 0, false);
	case F_CONTACT: {
		char *keep = strdup(r->tmp.buf);

		if (!keep)
			return oom(r, -ENOMEM);
		if (r->key == K_NAME) {
			free(r->c_name);
			r->c_name = keep;
		} else {
			free(r->c_email);
			r->c_email = keep;
		}
		return 1;
	}
	default:
		sbuf_reset(enc);
		if (render_json_string(enc, r->tmp.buf))
			return oom(r, -ENOMEM);
		return scalar(r, enc->buf, enc->len, false);
	}
}

static void row_begin(struct edit_jsonin *r)
{
	size_t i;

	r->row_line = line_now(r);
	r->row_has_id = false;
	r->row_keys = 0;
	for (i = 0; i < r->s->ncols; i++) {
		sbuf_reset(&r->cell[i]);
		r->seen[i] = false;
	}
}

static int cb_start_map(void *ctx)
{
	struct edit_jsonin *r = ctx;

	if (r->depth == 0)
		return push(r, F_TOP);
	switch (top(r)) {
	case F_COLS:
		return push(r, F_COL);
	case F_ROWS:
		row_begin(r);
		return push(r, F_ROW);
	case F_ROW:
		if (r->key == K_CELLS)
			return push(r, F_CELLS);
		break;
	case F_ARR:
		if (r->arr_strings)
			break;
		r->arr_contacts = true;
		free(r->c_name);
		free(r->c_email);
		r->c_name = r->c_email = NULL;
		return push(r, F_CONTACT);
	default:
		break;
	}
	return refuse(r, "an object where a sheet file has none");
}

/* Which key of frame f is k; K_NONE when unknown. */
static enum key classify(enum frame f, const char *k)
{
	static const struct {
		enum frame f;
		const char *name;
		enum key key;
	} t[] = {
	    {F_TOP, "id", K_IGNORED},
	    {F_TOP, "name", K_IGNORED},
	    {F_TOP, "version", K_IGNORED},
	    {F_TOP, "permalink", K_IGNORED},
	    {F_TOP, "modifiedAt", K_IGNORED},
	    {F_TOP, "columns", K_COLUMNS},
	    {F_TOP, "rows", K_ROWS},
	    {F_COL, "id", K_IGNORED},
	    {F_COL, "title", K_TITLE},
	    {F_COL, "type", K_IGNORED},
	    {F_COL, "primary", K_IGNORED},
	    {F_COL, "hidden", K_IGNORED},
	    {F_ROW, "id", K_ID},
	    {F_ROW, "rowNumber", K_IGNORED},
	    {F_ROW, "parentId", K_IGNORED},
	    {F_ROW, "cells", K_CELLS},
	    {F_CONTACT, "name", K_NAME},
	    {F_CONTACT, "email", K_EMAIL},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].f == f && strcmp(t[i].name, k) == 0)
			return t[i].key;
	return K_NONE;
}

/* The column whose render/json.c key is tmp, or ncols. */
static size_t cell_col(struct edit_jsonin *r)
{
	struct sbuf *enc = &r->c_buf;
	size_t i;

	sbuf_reset(enc);
	if (render_json_string(enc, r->tmp.buf) || sbuf_addch(enc, ':'))
		return r->s->ncols;
	for (i = 0; i < r->s->ncols; i++)
		if (r->off[i + 1] - r->off[i] == enc->len &&
		    memcmp(r->keys.buf + r->off[i], enc->buf, enc->len) == 0)
			return i;
	return r->s->ncols;
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct edit_jsonin *r = ctx;
	char t[EDIT_SHORT_MAX], msg[EDIT_ERR_MAX];
	enum frame f = top(r);

	if (!take(r, k, n))
		return 0;
	if (f == F_CELLS) {
		r->col = cell_col(r);
		if (r->col == r->s->ncols || r->seen[r->col]) {
			(void)snprintf(msg, sizeof(msg),
				       r->col == r->s->ncols
					   ? "no column is keyed \"%s\""
					   : "the cell \"%s\" is there twice",
				       edit_short(t, r->tmp.buf));
			return refuse(r, msg);
		}
		r->seen[r->col] = true;
		r->key = K_CELL;
		return 1;
	}
	r->key = classify(f, r->tmp.buf);
	if (r->key == K_NONE) {
		(void)snprintf(msg, sizeof(msg), "unknown key \"%s\"",
			       edit_short(t, r->tmp.buf));
		return refuse(r, msg);
	}
	if (f == F_ROW) {
		if (r->row_keys & (1u << r->key) && r->key != K_IGNORED)
			return refuse(r, "a key is there twice in a row");
		r->row_keys |= 1u << r->key;
	}
	if (f == F_TOP && (r->key == K_COLUMNS || r->key == K_ROWS)) {
		bool *got = r->key == K_COLUMNS ? &r->got_cols : &r->got_rows;

		if (*got)
			return refuse(r, "\"columns\" or \"rows\" is there "
					 "twice");
		*got = true;
	}
	return 1;
}

static int row_end(struct edit_jsonin *r)
{
	size_t i;
	int rc;

	sbuf_reset(&r->blob);
	for (i = 0; i < r->s->ncols; i++)
		if (sbuf_add(&r->blob, r->cell[i].buf, r->cell[i].len + 1))
			return oom(r, -ENOMEM);
	rc = edit_doc_add(&r->doc, r->row_has_id ? r->row_id : 0, r->row_line,
			  r->blob.buf, r->blob.len);
	return rc ? oom(r, rc) : 1;
}

static int contact_end(struct edit_jsonin *r)
{
	struct model_contact ct = {r->c_name, r->c_email};
	struct sbuf *c = &r->cell[r->col];
	int rc;

	if (!r->c_email)
		return refuse(r, "a contact without an \"email\"");
	rc = c->len > 1 ? sbuf_addch(c, ',') : 0;
	if (!rc) /* as render/json.c writes one: name first */
		rc = render_json_contact(c, &ct);
	return rc ? oom(r, rc) : 1;
}

static int cb_end_map(void *ctx)
{
	struct edit_jsonin *r = ctx;
	enum frame f = top(r);

	r->depth--;
	if (f == F_ROW)
		return row_end(r);
	if (f == F_CONTACT) {
		r->key = K_NONE;
		return contact_end(r);
	}
	if (f == F_TOP && (!r->got_cols || !r->got_rows))
		return refuse(r, "a sheet file has \"columns\" and \"rows\"");
	r->key = K_NONE;
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct edit_jsonin *r = ctx;

	if (r->depth && top(r) == F_TOP && r->key == K_COLUMNS)
		return push(r, F_COLS);
	if (r->depth && top(r) == F_TOP && r->key == K_ROWS)
		return push(r, F_ROWS);
	if (r->depth && top(r) == F_CELLS) {
		r->arr_contacts = r->arr_strings = false;
		if (!put_cell(r, "[", 1))
			return 0;
		return push(r, F_ARR);
	}
	return refuse(r, "an array where a sheet file has none");
}

static int cb_end_array(void *ctx)
{
	struct edit_jsonin *r = ctx;
	enum frame f = top(r);
	char msg[EDIT_ERR_MAX];

	r->depth--;
	r->key = K_NONE;
	if (f == F_ARR)
		return put_cell(r, "]", 1);
	if (f == F_COLS && r->ntitles != r->s->ncols) {
		(void)snprintf(msg, sizeof(msg),
			       "the columns must be the sheet's, in this "
			       "order: %zu of its %zu are there",
			       r->ntitles, r->s->ncols);
		return refuse(r, msg);
	}
	return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end_map,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end_array,
};

struct edit_jsonin *edit_jsonin_new(const struct model_sheet *s)
{
	struct edit_jsonin *r = calloc(1, sizeof(*r));
	size_t i;

	if (!r)
		return NULL;
	r->s = s;
	r->line = 1;
	sbuf_init(&r->keys, 0);
	sbuf_init(&r->tmp, 0);
	sbuf_init(&r->blob, EDIT_MAX_DOC_BYTES);
	sbuf_init(&r->c_buf, 0);
	r->off = calloc(s->ncols + 1, sizeof(*r->off));
	r->cell = calloc(s->ncols + 1, sizeof(*r->cell));
	r->seen = calloc(s->ncols + 1, sizeof(*r->seen));
	r->c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	r->h = yajl_alloc(&callbacks, NULL, r);
	if (!r->off || !r->cell || !r->seen || !r->c_loc || !r->h ||
	    edit_doc_init(&r->doc, EDIT_FMT_JSON, s->ncols) ||
	    render_json_cell_keys(s, NULL, &r->keys, r->off)) {
		edit_jsonin_free(r);
		return NULL;
	}
	for (i = 0; i < s->ncols; i++)
		sbuf_init(&r->cell[i], EDIT_MAX_FIELD_BYTES);
	return r;
}

void edit_jsonin_free(struct edit_jsonin *r)
{
	size_t i;

	if (!r)
		return;
	if (r->h)
		yajl_free(r->h);
	if (r->c_loc)
		freelocale(r->c_loc);
	for (i = 0; r->cell && i < r->s->ncols; i++)
		sbuf_release(&r->cell[i]);
	free(r->cell);
	free(r->seen);
	free(r->off);
	free(r->c_name);
	free(r->c_email);
	sbuf_release(&r->keys);
	sbuf_release(&r->tmp);
	sbuf_release(&r->blob);
	sbuf_release(&r->c_buf);
	edit_doc_release(&r->doc);
	free(r);
}

struct edit_doc *edit_jsonin_doc(struct edit_jsonin *r)
{
	return &r->doc;
}

/* yajl refused the text (or a callback did: then r->rc is set). */
static int failed(struct edit_jsonin *r, const char *what)
{
	unsigned char *msg;

	if (r->rc)
		return r->rc;
	msg = yajl_get_error(r->h, 0, NULL, 0);
	if (msg) /* yajl ends its message with a line end */
		msg[strcspn((char *)msg, "\r\n")] = '\0';
	r->rc = edit_errf(r->err, line_now(r), "%s: %s", what,
			  msg ? (const char *)msg : "?");
	if (msg)
		yajl_free_error(r->h, msg);
	return r->rc;
}

int edit_jsonin_feed(struct edit_jsonin *r, const void *data, size_t len,
		     char *err)
{
	yajl_status st;

	r->err = err;
	if (r->rc)
		return r->rc;
	r->piece = data;
	r->counted = 0;
	st = yajl_parse(r->h, data, len);
	if (st != yajl_status_ok)
		return failed(r, "not JSON");
	(void)line_now(r);
	r->piece = NULL;
	return 0;
}

int edit_jsonin_finish(struct edit_jsonin *r, char *err)
{
	r->err = err;
	if (r->rc)
		return r->rc;
	r->piece = NULL;
	if (yajl_complete_parse(r->h) != yajl_status_ok)
		return failed(r, "not a whole JSON text");
	if (r->depth != 0 || !r->got_cols)
		return edit_errf(err, 0, "the text is not a sheet file");
	return 0;
}
