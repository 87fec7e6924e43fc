/*
 * The streaming sheet parser's life cycle (a sheet, or a report's pages),
 * memory (the sheet's arena, all under SHEET_MAX_BYTES) and messages
 * ("rows[3].cells[1].value"); the walk is jsonwalk.c, values
 * sheet_fields.c, rows sheet_rows.c. One thread per parser: the caller of
 * api_get_sheet or api_get_report (FUSE/prefetch worker, main) or the
 * feed's.
 */
#include "api/sheet_parser.h"
#include "api/sheet_parser_i.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonwalk.h"
#include "api/sheet_fields_i.h"
#include "api/sheet_rows_i.h"
#include "util/arena.h"

/* No callback for this many bytes means yajl is buffering one huge token. */
#define MAX_GAP_BYTES (2 * (size_t)SHEET_MAX_STRING_BYTES)

/* Where the parser is, for debug messages: "rows[3].cells[1].value". */
static void where(void *ctx, const int *frames, int n, char *buf,
		  size_t size)
{
	const struct sheet_parser *p = ctx;
	size_t off = 0;
	int i, k = 0;

	for (i = 1; i < n && off < size; i++) {
		switch (frames[i]) {
		case SHEET_FRAME_COLS:
			k = snprintf(buf + off, size - off, "columns[%zu]",
				     p->ncols);
			break;
		case SHEET_FRAME_ROWS:
			k = snprintf(buf + off, size - off, "rows[%zu]",
				     p->nrows);
			break;
		case SHEET_FRAME_CELLS:
			k = snprintf(buf + off, size - off, ".cells[%zu]",
				     p->cells_seen);
			break;
		case SHEET_FRAME_OBJV:
			k = snprintf(buf + off, size - off, ".objectValue");
			break;
		default:
			k = 0;
			break;
		}
		if (k > 0)
			off += (size_t)k;
	}
	if (off >= size || n == 0)
		return;
	switch (frames[n - 1]) {
	case SHEET_FRAME_SHEET:
	case SHEET_FRAME_COL:
	case SHEET_FRAME_ROW:
	case SHEET_FRAME_CELL:
	case SHEET_FRAME_OBJV:
	case SHEET_FRAME_CONTACT:
		snprintf(buf + off, size - off, "%s%s", off ? "." : "",
			 sheet_fields_key_name(p->key));
		break;
	default:
		break;
	}
}

static const struct jsonwalk_ops walk_ops = {
	.key = sheet_fields_key,
	.value = sheet_fields_value,
	.end = sheet_rows_end,
	.where = where,
	.root = SHEET_FRAME_SHEET,
	.name = "sheet",
	.max_depth = SHEET_MAX_DEPTH,
	.max_token_bytes = MAX_GAP_BYTES,
};

int sheet_parser_check_cap(struct sheet_parser *p)
{
	if (arena_size(p->arena) + p->heap_bytes > SHEET_MAX_BYTES)
		return jsonwalk_fail(p->w, -EFBIG,
				     "sheet larger than %zu bytes",
				     SHEET_MAX_BYTES);
	return 1;
}

int sheet_parser_grow(struct sheet_parser *p, void *arrp, size_t *cap,
		      size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *old, *n;

	if (need <= *cap)
		return 1;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return jsonwalk_fail(p->w, -EFBIG, "array too large");
		ncap *= 2;
	}
	memcpy(&old, arrp, sizeof(old));
	n = realloc(old, ncap * elem);
	if (!n)
		return jsonwalk_fail(p->w, -ENOMEM, "out of memory");
	memcpy(arrp, &n, sizeof(n));
	p->heap_bytes += (ncap - *cap) * elem;
	*cap = ncap;
	return sheet_parser_check_cap(p);
}

void *sheet_parser_alloc(struct sheet_parser *p, size_t n)
{
	void *m = arena_alloc(p->arena, n);

	if (!m) {
		jsonwalk_fail(p->w, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!sheet_parser_check_cap(p))
		return NULL;
	return m;
}

const char *sheet_parser_str(struct sheet_parser *p, const char *s,
			     size_t len)
{
	size_t dlen;
	char *d;

	if (len > SHEET_MAX_STRING_BYTES) {
		jsonwalk_fail(p->w, -EIO, "string of %zu bytes", len);
		return NULL;
	}
	/* The common case, tested inline (a call per string shows in the
	 * parse time): no NUL, packed in the arena, seldom a surrogate. */
	if (!memchr(s, '\0', len)) {
		dlen = len;
		d = arena_strndup(p->arena, s, len);
		if (!d) {
			jsonwalk_fail(p->w, -ENOMEM, "out of memory");
			return NULL;
		}
		if (memchr(d, 0xED, len))
			jsonwalk_text_fix(d, len);
	} else {
		dlen = jsonwalk_text_len(s, len);
		d = sheet_parser_alloc(p, dlen + 1);
		if (!d)
			return NULL;
		jsonwalk_text_copy(d, s, len, dlen);
	}
	if (!sheet_parser_check_cap(p))
		return NULL;
	p->last_len = dlen;
	return d;
}

/* Free the document's memory; the walk, the locale and the kind stay. */
static void clear(struct sheet_parser *p)
{
	struct jsonwalk *w = p->w;
	locale_t loc = p->c_locale;
	bool report = p->report;

	arena_free(p->arena);
	free(p->cols);
	free(p->rows);
	free(p->map);
	free(p->defer_ids);
	free(p->cs);
	free(p->items);
	memset(p, 0, sizeof(*p));
	p->w = w;
	p->c_locale = loc;
	p->report = report;
}

static int begin(struct sheet_parser *p)
{
	p->version = -1;
	p->total_row_count = -1;
	p->arena = arena_new();
	return p->arena ? 0 : -ENOMEM;
}

struct sheet_parser *sheet_parser_new(void)
{
	struct sheet_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	p->w = jsonwalk_new(&walk_ops, p);
	if (!p->c_locale || !p->w || begin(p)) {
		sheet_parser_free(p);
		return NULL;
	}
	return p;
}

struct sheet_parser *sheet_parser_new_report(void)
{
	struct sheet_parser *p = sheet_parser_new();

	if (p)
		p->report = true;
	return p;
}

void sheet_parser_free(struct sheet_parser *p)
{
	if (!p)
		return;
	clear(p);
	jsonwalk_free(p->w);
	if (p->c_locale)
		freelocale(p->c_locale);
	free(p);
}

/*
 * A report's later page starts over: its rows go, the earlier pages' stay
 * (the strings the lost part put in the arena stay there too, unused: a
 * retry is rare and costs at most a page).
 */
static int restart_page(struct sheet_parser *p)
{
	int rc = jsonwalk_reset(p->w);

	p->nrows = p->page_rows;
	p->ncs = 0;
	p->nitems = 0;
	p->cells_seen = 0;
	p->doc_fed = false;
	if (rc)
		jsonwalk_set_error(p->w, rc);
	return rc;
}

int sheet_parser_reset(struct sheet_parser *p)
{
	int rc;

	if (p->page && !p->finished)
		return restart_page(p);
	clear(p);
	rc = jsonwalk_reset(p->w);
	if (!rc)
		rc = begin(p);
	if (rc)
		jsonwalk_set_error(p->w, rc);
	return rc;
}

int sheet_parser_feed(struct sheet_parser *p, const char *data, size_t n)
{
	int rc = jsonwalk_error(p->w);

	if (rc)
		return rc;
	if (p->finished)
		return -EINVAL;
	if (n)
		p->doc_fed = true;
	return jsonwalk_feed(p->w, data, n);
}

/* The document fed so far is whole, with an id and columns (a report's
 * later pages have them from the first). 0 or the walk's error. */
static int end_document(struct sheet_parser *p)
{
	int rc = jsonwalk_error(p->w);

	if (rc)
		return rc;
	if (p->finished)
		return -EINVAL;
	rc = jsonwalk_finish(p->w);
	if (rc)
		return rc;
	if (!p->has_id || !p->cols_seen) {
		jsonwalk_fail(p->w, -EIO, "no \"%s\"",
			      p->has_id ? "columns" : "id");
		return jsonwalk_error(p->w);
	}
	if (!p->cols_done) {
		rc = jsonwalk_error(p->w);
		return rc ? rc : -EIO;
	}
	return 0;
}

int sheet_parser_end_page(struct sheet_parser *p)
{
	int rc;

	if (!p->report)
		return -EINVAL;
	rc = end_document(p);
	if (rc)
		return rc;
	rc = jsonwalk_reset(p->w);
	if (rc) {
		jsonwalk_set_error(p->w, rc);
		return rc;
	}
	p->page++;
	p->page_rows = p->nrows;
	p->doc_fed = false;
	return 0;
}

void sheet_parser_count(const struct sheet_parser *p, int64_t *rows,
			int64_t *total)
{
	*rows = (int64_t)p->nrows;
	*total = p->total_row_count;
}

static void *shrink(void *arr, size_t n, size_t elem)
{
	void *s;

	if (!n) {
		free(arr);
		return NULL;
	}
	s = realloc(arr, n * elem);
	/* A failed shrink keeps the larger array, which is still ours. */
	/* cppcheck-suppress memleak */
	return s ? s : arr;
}

int sheet_parser_finish(struct sheet_parser *p, struct model_sheet **out)
{
	struct model_sheet *s;
	int rc;

	/* After a report's last page nothing more is fed: the pages are in. */
	if (!p->page || p->doc_fed)
		rc = end_document(p);
	else
		rc = p->finished ? -EINVAL : jsonwalk_error(p->w);
	if (rc)
		return rc;
	if (sheet_rows_resolve(p)) {
		rc = jsonwalk_error(p->w);
		return rc ? rc : -EIO;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = p->id;
	s->is_report = p->report;
	s->name = p->name ? p->name : "";
	s->version = p->version;
	s->permalink = p->permalink;
	s->modified_at = p->modified_at;
	s->access_level = p->access_level;
	s->total_row_count = p->total_row_count;
	s->cols = shrink(p->cols, p->ncols, sizeof(*p->cols));
	s->ncols = p->ncols;
	s->rows = shrink(p->rows, p->nrows, sizeof(*p->rows));
	s->nrows = p->nrows;
	s->arena = p->arena;
	p->cols = NULL;
	p->rows = NULL;
	p->arena = NULL;
	p->finished = true;
	*out = s;
	return 0;
}
