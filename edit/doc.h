#ifndef SSFS_EDIT_DOC_H
#define SSFS_EDIT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * edit/ is render/'s inverse (SPEC §8): the text of a written sheet file ->
 * rows -> typed values -> the row diff against the sheet it was read from
 * -> the plan of row requests. Pure: no I/O, no HTTP, no FUSE, no globals
 * but a read-only "C" locale; any thread may call it.
 *
 * It depends on render/ on purpose: a CSV row is recognised by the exact
 * text render/csv.c gives its cells (render_csv_cell_text), a JSON cell by
 * render_json_value's text, a number by render_number. Writing those again
 * here would let the two drift apart, and a row that drifted would read as
 * changed.
 *
 * This header: the parsed text (struct edit_doc) that the CSV and JSON
 * readers build and the diff reads, and the error message convention.
 */

struct arena;

/*
 * Errors: functions that can refuse a text return -EINVAL and write a
 * one-line message for the user into err (EDIT_ERR_MAX bytes, may be NULL),
 * naming the line ("line 7, column \"Done\": ..."). Other failures are
 * -ENOMEM, -EFBIG (a cap), and leave err alone unless said otherwise.
 */
#define EDIT_ERR_MAX 256

/* Caps on outside data (STYLE O3). */
#define EDIT_MAX_FIELD_BYTES ((size_t)1 << 20) /* one field / cell */
#define EDIT_MAX_DOC_BYTES ((size_t)1 << 30)   /* one parsed text */

enum edit_fmt {
	EDIT_FMT_CSV = 0,
	EDIT_FMT_JSON,
};

/* One row of a written file. */
struct edit_doc_row {
	int64_t id;    /* JSON: the row's "id"; 0: none (a new row; all CSV) */
	uint32_t line; /* 1-based line where the row starts in the text */
	uint32_t len;  /* bytes at fields, the NULs included */
	/*
	 * One NUL-terminated text per column, one after the other (in the
	 * doc's arena). CSV: the field as read (quotes undone). JSON: the
	 * cell's value as canonical JSON, render_json_value's form ("" where
	 * the cell is absent or null).
	 */
	const char *fields;
};

/* A parsed text: its rows in the order of the text. */
struct edit_doc {
	enum edit_fmt fmt;
	size_t ncols;
	struct edit_doc_row *rows;
	size_t nrows;
	size_t cap;
	size_t bytes;	     /* fields held, for EDIT_MAX_DOC_BYTES */
	struct arena *arena; /* owns every fields blob */
};

/* 0 or -ENOMEM. */
int edit_doc_init(struct edit_doc *d, enum edit_fmt fmt, size_t ncols) SSFS_WUR;
/* Frees everything; a second call does nothing. */
void edit_doc_release(struct edit_doc *d);
/* Drops the rows (after an append sent them); 0 or -ENOMEM. */
int edit_doc_clear(struct edit_doc *d) SSFS_WUR;

/*
 * Append a row: fields is copied (len bytes: d->ncols NUL-terminated
 * texts). 0, -ENOMEM or -EFBIG (EDIT_MAX_DOC_BYTES).
 */
int edit_doc_add(struct edit_doc *d, int64_t id, uint32_t line,
		 const char *fields, size_t len) SSFS_WUR;

/* The text after field f in a fields blob. */
static inline const char *edit_next_field(const char *f)
{
	while (*f)
		f++;
	return f + 1;
}

/* Field col of row r (walks the blob: O(col)). */
const char *edit_doc_field(const struct edit_doc_row *r, size_t col);

/* Write "line N: <fmt...>" (line 0: no prefix) into err; returns -EINVAL. */
int edit_errf(char *err, uint32_t line, const char *fmt, ...) SSFS_PRINTF(3, 4);

/*
 * s for a message: itself when short, else its first bytes (cut at a
 * character boundary) and "...". buf holds EDIT_SHORT_MAX bytes; returns buf.
 */
#define EDIT_SHORT_MAX 48
const char *edit_short(char *buf, const char *s);

#endif /* SSFS_EDIT_DOC_H */
