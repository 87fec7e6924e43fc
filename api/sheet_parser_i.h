#ifndef SSFS_API_SHEET_PARSER_I_H
#define SSFS_API_SHEET_PARSER_I_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/model.h"

/*
 * The sheet parser's state, shared by its three files: sheet_parser.c (life
 * cycle, memory, messages), sheet_fields.c (what each key's value means)
 * and sheet_rows.c (columns, rows and cells assembled as their containers
 * end). All of it belongs to the one thread feeding the parser.
 *
 * Strings go straight into the sheet's arena; the cells of the current row
 * wait in a scratch array (cs) reused for every row, and are resolved
 * (columnId -> column index), sorted and copied into the arena when the
 * row ends.
 *
 * A report (GET /reports/{id}, SPEC §7) is read by the same parser with
 * report set: a column's id is its "virtualId", a row's link its "sheetId"
 * (no "parentId"), a cell's column its "virtualColumnId" (its "columnId",
 * the source sheet's, is ignored). Its pages are documents parsed one after
 * another into the one model: the first gives the header and the columns,
 * later ones only add rows (their "columns" are skipped; their id, and
 * their totalRowCount and modifiedAt, must match the first page's).
 */

#define SHEET_MAX_DEPTH 64                  /* JSON nesting, skipped or not */
#define SHEET_MAX_STRING_BYTES (1u << 20)   /* one string, after decoding */
#define SHEET_MAX_BYTES ((size_t)512 << 20) /* arena + arrays of one sheet */

/* The containers the parser walks into (jsonwalk frames); everything else
 * is skipped. */
enum sheet_frame {
	SHEET_FRAME_SHEET = 1, /* the top-level object */
	SHEET_FRAME_COLS,      /* "columns": [ */
	SHEET_FRAME_COL,       /* a column object */
	SHEET_FRAME_ROWS,      /* "rows": [ */
	SHEET_FRAME_ROW,       /* a row object */
	SHEET_FRAME_CELLS,     /* "cells": [ */
	SHEET_FRAME_CELL,      /* a cell object */
	SHEET_FRAME_OBJV,      /* a cell's "objectValue": { */
	SHEET_FRAME_OBJV_VALS, /* its "values": [ */
	SHEET_FRAME_CONTACT,   /* one contact object in "values" */
	SHEET_FRAME_OPTIONS,   /* a column's "options": [ */
};

/* The keys the parser knows (sheet_fields_key_name gives their text). */
enum sheet_key {
	SHEET_KEY_OTHER = 0,
	SHEET_KEY_ID,
	SHEET_KEY_NAME,
	SHEET_KEY_VERSION,
	SHEET_KEY_PERMALINK,
	SHEET_KEY_MODIFIED_AT,
	SHEET_KEY_VIRTUAL_ID,        /* a report column's id */
	SHEET_KEY_SHEET_ID,          /* a report row's source sheet */
	SHEET_KEY_VIRTUAL_COLUMN_ID, /* a report cell's column */
	SHEET_KEY_TOTAL_ROW_COUNT,
	SHEET_KEY_COLUMNS,
	SHEET_KEY_ROWS,
	SHEET_KEY_TITLE,
	SHEET_KEY_TYPE,
	SHEET_KEY_PRIMARY,
	SHEET_KEY_HIDDEN,
	SHEET_KEY_PARENT_ID,
	SHEET_KEY_ROW_NUMBER,
	SHEET_KEY_CELLS,
	SHEET_KEY_COLUMN_ID,
	SHEET_KEY_VALUE,
	SHEET_KEY_DISPLAY_VALUE,
	SHEET_KEY_OBJECT_VALUE,
	SHEET_KEY_OBJECT_TYPE,
	SHEET_KEY_VALUES,
	SHEET_KEY_EMAIL,
	/* what write-back needs to know (SPEC §8) */
	SHEET_KEY_ACCESS_LEVEL,
	SHEET_KEY_SYSTEM_COLUMN_TYPE,
	SHEET_KEY_FORMULA,
	SHEET_KEY_LOCKED,
	SHEET_KEY_OPTIONS,
};

/* A cell waiting for the end of its row. */
struct sheet_pcell {
	struct model_cell c;
	int64_t col_id;
	uint32_t seq; /* arrival order: later duplicates win */
};

/* One element of an objectValue's "values" array. */
struct sheet_ov_item {
	const char *a; /* the string, or the contact's name */
	const char *b; /* the contact's email */
	bool contact;
};

enum sheet_ov_type {
	SHEET_OV_OTHER,
	SHEET_OV_MULTI_PICKLIST,
	SHEET_OV_MULTI_CONTACT,
};

struct sheet_colmap_slot {
	int64_t id;
	uint32_t idx;
	bool used;
};

struct sheet_parser {
	struct jsonwalk *w; /* the walk; holds the sticky error */
	locale_t c_locale;
	bool report;        /* a report's pages (kept by resets) */
	bool finished;      /* the sheet was handed out: reset before reuse */
	enum sheet_key key; /* the last key read, for messages */

	/* report pages: how many ended, the rows held when this one began,
	 * whether any text of this one was fed */
	size_t page, page_rows;
	bool doc_fed;

	struct arena *arena;
	size_t heap_bytes; /* our malloc'd arrays, for SHEET_MAX_BYTES */

	/* the sheet */
	bool has_id, cols_seen, cols_done;
	int64_t id, version, total_row_count;
	const char *name, *permalink, *modified_at, *access_level;
	struct model_column *cols;
	size_t ncols, cols_cap;
	struct model_row *rows;
	size_t nrows, rows_cap;

	/* columnId -> index, built when "columns" ends */
	struct sheet_colmap_slot *map;
	size_t map_mask;
	uint32_t hint; /* the column the next cell probably belongs to */

	/* rows that ended before the columns: their raw column ids */
	size_t deferred_rows;
	int64_t *defer_ids;
	size_t ndefer, defer_cap;

	/* the column, row and cell being parsed */
	struct model_column col;
	bool col_has_id;
	struct model_row row;
	bool row_has_id;
	struct sheet_pcell cell;
	bool cell_has_col;
	size_t str_len, display_len; /* of cell.c.str and cell.c.display */
	size_t last_len; /* length of the last string sheet_parser_str made */

	/* the cells of the current row */
	struct sheet_pcell *cs;
	size_t ncs, cs_cap;
	size_t cells_seen; /* in this row, kept or not (for messages) */

	/* the current objectValue */
	enum sheet_ov_type ov_type;
	bool ov_has_values, ov_bad;
	struct sheet_ov_item *items;
	size_t nitems, items_cap;
	const char *ct_name, *ct_email;
};

/*
 * sheet_parser.c's helpers for the other two files. Each int one returns
 * 1, or 0 after failing the walk (jsonwalk_fail: -ENOMEM, -EFBIG past
 * SHEET_MAX_BYTES, -EIO); the pointer ones return NULL after failing.
 */

/* The arena and our arrays are within SHEET_MAX_BYTES. */
int sheet_parser_check_cap(struct sheet_parser *p);

/* Room for need elements of elem bytes in the array that arrp points to
 * (the address of a T *, copied with memcpy to stay clear of aliasing
 * rules), whose capacity is *cap. */
int sheet_parser_grow(struct sheet_parser *p, void *arrp, size_t *cap,
		      size_t need, size_t elem);

/* n bytes in the sheet's arena. */
void *sheet_parser_alloc(struct sheet_parser *p, size_t n);

/* A model string in the arena (jsonwalk_text_copy); its length goes to
 * p->last_len. Longer than SHEET_MAX_STRING_BYTES is -EIO. */
const char *sheet_parser_str(struct sheet_parser *p, const char *s,
			     size_t len);

#endif /* SSFS_API_SHEET_PARSER_I_H */
