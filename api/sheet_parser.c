/*
 * The streaming sheet parser: yajl callbacks drive a small state machine
 * (a stack of frames, one per JSON container we care about) that builds a
 * struct model_sheet while the body downloads. Everything we do not need is
 * skipped by counting depth. Strings go straight into the sheet's arena;
 * the cells of the current row wait in a scratch array that is reused for
 * every row, then get resolved (columnId -> column index), sorted and copied
 * into the arena when the row ends.
 */
#include "api/api.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "util/arena.h"
#include "util/log.h"

#define MAX_DEPTH 64                        /* JSON nesting, skipped or not */
#define MAX_STRING_BYTES (1u << 20)         /* one string, after decoding */
#define MAX_SHEET_BYTES ((size_t)512 << 20) /* arena + arrays of one sheet */
/* No callback for this many bytes means yajl is buffering one huge token. */
#define MAX_GAP_BYTES (2 * (size_t)MAX_STRING_BYTES)
#define MAX_FRAMES 12                       /* the deepest known path is 8 */

/* The containers we parse; everything else is skipped. */
enum frame {
	F_SHEET,     /* the top-level object */
	F_COLS,      /* "columns": [ */
	F_COL,       /* a column object */
	F_ROWS,      /* "rows": [ */
	F_ROW,       /* a row object */
	F_CELLS,     /* "cells": [ */
	F_CELL,      /* a cell object */
	F_OBJV,      /* a cell's "objectValue": { */
	F_OBJV_VALS, /* its "values": [ */
	F_CONTACT,   /* one contact object in "values" */
};

enum key {
	K_OTHER = 0,
	K_ID,
	K_NAME,
	K_VERSION,
	K_PERMALINK,
	K_MODIFIED_AT,
	K_TOTAL_ROW_COUNT,
	K_COLUMNS,
	K_ROWS,
	K_TITLE,
	K_TYPE,
	K_PRIMARY,
	K_HIDDEN,
	K_PARENT_ID,
	K_ROW_NUMBER,
	K_CELLS,
	K_COLUMN_ID,
	K_VALUE,
	K_DISPLAY_VALUE,
	K_OBJECT_VALUE,
	K_OBJECT_TYPE,
	K_VALUES,
	K_EMAIL,
};

static const char *const key_names[] = {
	"?", "id", "name", "version", "permalink", "modifiedAt",
	"totalRowCount", "columns", "rows", "title", "type", "primary",
	"hidden", "parentId", "rowNumber", "cells", "columnId", "value",
	"displayValue", "objectValue", "objectType", "values", "email",
};

/* The JSON type of one value, as the callbacks see it. */
enum jt { JT_NULL, JT_BOOL, JT_NUM, JT_STR, JT_MAP, JT_ARR };

static const char *const jt_names[] = {
	"null", "a boolean", "a number", "a string", "an object", "an array",
};

struct jv {
	enum jt t;
	const char *s; /* JT_STR, JT_NUM: the text (not NUL-terminated) */
	size_t len;
	bool b;
};

/* A cell waiting for the end of its row. */
struct pcell {
	struct model_cell c;
	int64_t col_id;
	uint32_t seq; /* arrival order: later duplicates win */
};

/* One element of an objectValue's "values" array. */
struct ov_item {
	const char *a; /* the string, or the contact's name */
	const char *b; /* the contact's email */
	bool contact;
};

enum ov_type { OV_OTHER, OV_MULTI_PICKLIST, OV_MULTI_CONTACT };

struct colmap_slot {
	int64_t id;
	uint32_t idx;
	bool used;
};

struct sheet_parser {
	yajl_handle h;
	locale_t c_locale;
	int err;          /* sticky: the first failure */
	bool done;        /* the top-level object ended */
	bool finished;    /* the sheet was handed out: reset before reuse */

	enum frame stack[MAX_FRAMES];
	int sp;           /* frames in use */
	int skip;         /* > 0: containers open inside a skipped value */
	enum key key;     /* the key of the value that comes next */
	size_t gap;       /* bytes fed since a chunk with a callback */
	bool called;      /* a callback ran during this feed */

	struct arena *arena;
	size_t heap_bytes; /* our malloc'd arrays, for MAX_SHEET_BYTES */

	/* the sheet */
	bool has_id, cols_seen, cols_done;
	int64_t id, version, total_row_count;
	const char *name, *permalink, *modified_at;
	struct model_column *cols;
	size_t ncols, cols_cap;
	struct model_row *rows;
	size_t nrows, rows_cap;

	/* columnId -> index, built when "columns" ends */
	struct colmap_slot *map;
	size_t map_mask;
	uint32_t hint;    /* the column the next cell probably belongs to */

	/* rows that ended before the columns: their raw column ids */
	size_t deferred_rows;
	int64_t *defer_ids;
	size_t ndefer, defer_cap;

	/* the column, row and cell being parsed */
	struct model_column col;
	bool col_has_id;
	struct model_row row;
	bool row_has_id;
	struct pcell cell;
	bool cell_has_col;
	size_t str_len, display_len; /* of cell.c.str and cell.c.display */
	size_t last_len;  /* length of the last string pstr() stored */

	/* the cells of the current row */
	struct pcell *cs;
	size_t ncs, cs_cap;
	size_t cells_seen; /* in this row, kept or not (for messages) */

	/* the current objectValue */
	enum ov_type ov_type;
	bool ov_has_values, ov_bad;
	struct ov_item *items;
	size_t nitems, items_cap;
	const char *ct_name, *ct_email;
};

static int fail(struct sheet_parser *p, int err, const char *fmt, ...)
	SSFS_PRINTF(3, 4);

/* Where the parser is, for debug messages: "rows[3].cells[1].value". */
static void where(const struct sheet_parser *p, char *buf, size_t size)
{
	size_t off = 0;
	int i, n = 0;

	buf[0] = '\0';
	for (i = 1; i < p->sp && off < size; i++) {
		switch (p->stack[i]) {
		case F_COLS:
			n = snprintf(buf + off, size - off, "columns[%zu]",
				     p->ncols);
			break;
		case F_ROWS:
			n = snprintf(buf + off, size - off, "rows[%zu]",
				     p->nrows);
			break;
		case F_CELLS:
			n = snprintf(buf + off, size - off, ".cells[%zu]",
				     p->cells_seen);
			break;
		case F_OBJV:
			n = snprintf(buf + off, size - off, ".objectValue");
			break;
		default:
			n = 0;
			break;
		}
		if (n > 0)
			off += (size_t)n;
	}
	if (off >= size || p->sp == 0)
		return;
	switch (p->stack[p->sp - 1]) {
	case F_SHEET:
	case F_COL:
	case F_ROW:
	case F_CELL:
	case F_OBJV:
	case F_CONTACT:
		snprintf(buf + off, size - off, "%s%s", off ? "." : "",
			 key_names[p->key]);
		break;
	default:
		break;
	}
}

/* Record the first failure and stop yajl (a callback returning 0). */
static int fail(struct sheet_parser *p, int err, const char *fmt, ...)
{
	char at[128], msg[160];
	va_list ap;

	if (p->err)
		return 0;
	p->err = err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(p, at, sizeof(at));
	log_debug("sheet JSON: %s: %s", at[0] ? at : "top level", msg);
	return 0;
}

static int wrong_type(struct sheet_parser *p, const struct jv *v,
		      const char *want)
{
	return fail(p, -EIO, "is %s, expected %s", jt_names[v->t], want);
}

static int over_cap(struct sheet_parser *p)
{
	if (arena_size(p->arena) + p->heap_bytes > MAX_SHEET_BYTES)
		return fail(p, -EFBIG, "sheet larger than %zu bytes",
			    MAX_SHEET_BYTES);
	return 1;
}

/*
 * Make room for need elements in the array that arrp points to (the address
 * of a T *, copied with memcpy to stay clear of aliasing rules); 1, or 0
 * when it failed.
 */
static int grow(struct sheet_parser *p, void *arrp, size_t *cap, size_t need,
		size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *old, *n;

	if (need <= *cap)
		return 1;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return fail(p, -EFBIG, "array too large");
		ncap *= 2;
	}
	memcpy(&old, arrp, sizeof(old));
	n = realloc(old, ncap * elem);
	if (!n)
		return fail(p, -ENOMEM, "out of memory");
	memcpy(arrp, &n, sizeof(n));
	p->heap_bytes += (ncap - *cap) * elem;
	*cap = ncap;
	return over_cap(p);
}

static void *palloc(struct sheet_parser *p, size_t n)
{
	void *m = arena_alloc(p->arena, n);

	if (!m) {
		fail(p, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!over_cap(p))
		return NULL;
	return m;
}

/*
 * A model string in the arena. \u0000 (a NUL byte from yajl) becomes U+FFFD,
 * and so does a lone surrogate, which yajl decodes to the invalid UTF-8
 * ED A0..BF xx.
 */
static const char *pstr(struct sheet_parser *p, const char *s, size_t len)
{
	static const char repl[] = "\xEF\xBF\xBD";
	size_t nul = 0, i, o;
	char *d;

	if (len > MAX_STRING_BYTES) {
		fail(p, -EIO, "string of %zu bytes", len);
		return NULL;
	}
	if (!memchr(s, '\0', len)) {
		d = arena_strndup(p->arena, s, len);
		if (!d) {
			fail(p, -ENOMEM, "out of memory");
			return NULL;
		}
	} else {
		for (i = 0; i < len; i++)
			nul += s[i] == '\0';
		d = palloc(p, len + 2 * nul + 1);
		if (!d)
			return NULL;
		for (i = 0, o = 0; i < len; i++) {
			if (s[i] == '\0') {
				memcpy(d + o, repl, 3);
				o += 3;
			} else {
				d[o++] = s[i];
			}
		}
		d[o] = '\0';
		len = o;
	}
	if (memchr(d, 0xED, len)) {
		for (i = 0; i + 2 < len; i++) {
			if ((unsigned char)d[i] == 0xED &&
			    ((unsigned char)d[i + 1] & 0xE0) == 0xA0) {
				memcpy(d + i, repl, 3);
				i += 2;
			}
		}
	}
	if (!over_cap(p))
		return NULL;
	p->last_len = len;
	return d;
}

static int get_i64(struct sheet_parser *p, const struct jv *v, int64_t *out)
{
	int rc;

	if (v->t != JT_NUM)
		return wrong_type(p, v, "an integer");
	rc = api_parse_int64(v->s, v->len, out);
	if (rc)
		return fail(p, -EIO, "\"%.*s\" is not an int64 (%s)",
			    (int)(v->len > 40 ? 40 : v->len), v->s,
			    rc == -ERANGE ? "out of range" : "not an integer");
	return 1;
}

/* A string field: 1 with *out set (NULL for null), 0 on failure. */
static int get_str(struct sheet_parser *p, const struct jv *v,
		   const char **out)
{
	if (v->t == JT_NULL) {
		*out = NULL;
		return 1;
	}
	if (v->t != JT_STR)
		return wrong_type(p, v, "a string");
	*out = pstr(p, v->s, v->len);
	return *out != NULL;
}

static int get_bool(struct sheet_parser *p, const struct jv *v, bool *out)
{
	if (v->t == JT_NULL)
		*out = false;
	else if (v->t == JT_BOOL)
		*out = v->b;
	else
		return wrong_type(p, v, "a boolean");
	return 1;
}

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * A JSON number (yajl checked the grammar) to a double. The common case,
 * at most 2^53 as digits and a power of ten up to 22, is exact with one
 * correctly rounded operation (Clinger's fast path); the rest goes through
 * strtod_l in the "C" locale.
 */
static int get_double(struct sheet_parser *p, const struct jv *v, double *out)
{
	const char *q = v->s, *end = v->s + v->len;
	char small[64], *buf = small;
	uint64_t m = 0;
	long e10 = 0, ex = 0;
	bool neg = false, exneg = false;
	char *endp;
	double d;

	if (q < end && *q == '-') {
		neg = true;
		q++;
	}
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (m > (UINT64_MAX - 9) / 10)
			goto slow;
		m = m * 10 + (uint64_t)(*q - '0');
	}
	if (q < end && *q == '.') {
		for (q++; q < end && *q >= '0' && *q <= '9'; q++) {
			if (m > (UINT64_MAX - 9) / 10)
				goto slow;
			m = m * 10 + (uint64_t)(*q - '0');
			e10--;
		}
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			exneg = *q++ == '-';
		for (; q < end && *q >= '0' && *q <= '9'; q++) {
			if (ex > 100000)
				goto slow;
			ex = ex * 10 + (*q - '0');
		}
		e10 += exneg ? -ex : ex;
	}
	if (q != end || m > ((uint64_t)1 << 53) || e10 < -22 || e10 > 22)
		goto slow;
	d = (double)m;
	d = e10 < 0 ? d / pow10_exact[-e10] : d * pow10_exact[e10];
	*out = neg ? -d : d;
	return 1;
slow:
	if (v->len >= sizeof(small)) {
		buf = malloc(v->len + 1);
		if (!buf)
			return fail(p, -ENOMEM, "out of memory");
	}
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	d = strtod_l(buf, &endp, p->c_locale);
	if (endp != buf + v->len || !isfinite(d)) {
		if (buf != small)
			free(buf);
		return fail(p, -EIO, "number out of range");
	}
	if (buf != small)
		free(buf);
	*out = d;
	return 1;
}

static int push(struct sheet_parser *p, enum frame f)
{
	if (p->sp + p->skip >= MAX_DEPTH || p->sp >= MAX_FRAMES)
		return fail(p, -EIO, "nested deeper than %d", MAX_DEPTH);
	p->stack[p->sp++] = f;
	return 1;
}

/* Skip a value we do not need: containers by depth, scalars at once. */
static int skip_value(struct sheet_parser *p, const struct jv *v)
{
	if (v->t != JT_MAP && v->t != JT_ARR)
		return 1;
	if (p->sp + p->skip >= MAX_DEPTH)
		return fail(p, -EIO, "nested deeper than %d", MAX_DEPTH);
	p->skip = 1;
	return 1;
}

static int sheet_value(struct sheet_parser *p, const struct jv *v)
{
	switch (p->key) {
	case K_ID:
		if (!get_i64(p, v, &p->id))
			return 0;
		p->has_id = true;
		return 1;
	case K_NAME:
		return get_str(p, v, &p->name);
	case K_VERSION:
		if (v->t == JT_NULL)
			return 1;
		return get_i64(p, v, &p->version);
	case K_PERMALINK:
		return get_str(p, v, &p->permalink);
	case K_MODIFIED_AT:
		return get_str(p, v, &p->modified_at);
	case K_TOTAL_ROW_COUNT:
		if (v->t == JT_NULL)
			return 1;
		return get_i64(p, v, &p->total_row_count);
	case K_COLUMNS:
		if (v->t != JT_ARR)
			return wrong_type(p, v, "an array");
		if (p->cols_seen)
			return fail(p, -EIO, "a second \"columns\"");
		p->cols_seen = true;
		return push(p, F_COLS);
	case K_ROWS:
		if (v->t == JT_NULL)
			return 1;
		if (v->t != JT_ARR)
			return wrong_type(p, v, "an array");
		return push(p, F_ROWS);
	default:
		return skip_value(p, v);
	}
}

static int column_value(struct sheet_parser *p, const struct jv *v)
{
	switch (p->key) {
	case K_ID:
		if (!get_i64(p, v, &p->col.id))
			return 0;
		p->col_has_id = true;
		return 1;
	case K_TITLE:
		return get_str(p, v, &p->col.title);
	case K_TYPE:
		return get_str(p, v, &p->col.type_name);
	case K_PRIMARY:
		return get_bool(p, v, &p->col.primary);
	case K_HIDDEN:
		return get_bool(p, v, &p->col.hidden);
	default:
		return skip_value(p, v);
	}
}

static int row_value(struct sheet_parser *p, const struct jv *v)
{
	switch (p->key) {
	case K_ID:
		if (!get_i64(p, v, &p->row.id))
			return 0;
		p->row_has_id = true;
		return 1;
	case K_PARENT_ID:
		if (v->t == JT_NULL) {
			p->row.parent_id = 0;
			return 1;
		}
		return get_i64(p, v, &p->row.parent_id);
	case K_ROW_NUMBER:
		if (v->t == JT_NULL)
			return 1;
		return get_i64(p, v, &p->row.row_number);
	case K_CELLS:
		if (v->t == JT_NULL)
			return 1;
		if (v->t != JT_ARR)
			return wrong_type(p, v, "an array");
		return push(p, F_CELLS);
	default:
		return skip_value(p, v);
	}
}

static int cell_value(struct sheet_parser *p, const struct jv *v)
{
	struct model_cell *c = &p->cell.c;

	switch (p->key) {
	case K_COLUMN_ID:
		if (!get_i64(p, v, &p->cell.col_id))
			return 0;
		p->cell_has_col = true;
		return 1;
	case K_VALUE:
		c->kind = MODEL_VAL_NONE;
		c->str = NULL;
		switch (v->t) {
		case JT_NULL:
			return 1;
		case JT_BOOL:
			c->kind = MODEL_VAL_BOOL;
			c->flag = v->b;
			return 1;
		case JT_NUM:
			c->kind = MODEL_VAL_NUMBER;
			return get_double(p, v, &c->num);
		case JT_STR:
			/* displayValue usually repeats the value: share it. */
			if (c->display && p->display_len == v->len &&
			    memcmp(c->display, v->s, v->len) == 0) {
				c->str = c->display;
				p->str_len = p->display_len;
			} else if (get_str(p, v, &c->str)) {
				p->str_len = p->last_len;
			} else {
				return 0;
			}
			c->kind = MODEL_VAL_STRING;
			return 1;
		default:
			return wrong_type(p, v, "a string, number or boolean");
		}
	case K_DISPLAY_VALUE:
		/* Compared raw: a stored string holds no NUL nor surrogate. */
		if (v->t == JT_STR && c->kind == MODEL_VAL_STRING &&
		    p->str_len == v->len && memcmp(c->str, v->s, v->len) == 0) {
			c->display = c->str;
			p->display_len = p->str_len;
			return 1;
		}
		if (!get_str(p, v, &c->display))
			return 0;
		p->display_len = p->last_len;
		return 1;
	case K_OBJECT_VALUE:
		if (v->t != JT_MAP)
			return skip_value(p, v);
		p->ov_type = OV_OTHER;
		p->ov_has_values = false;
		p->ov_bad = false;
		p->nitems = 0;
		return push(p, F_OBJV);
	default:
		return skip_value(p, v);
	}
}

/* objectValue never fails the parse: a shape we do not know is dropped. */
static int objv_value(struct sheet_parser *p, const struct jv *v)
{
	switch (p->key) {
	case K_OBJECT_TYPE:
		if (v->t != JT_STR)
			return skip_value(p, v);
		if (v->len == 14 && memcmp(v->s, "MULTI_PICKLIST", 14) == 0)
			p->ov_type = OV_MULTI_PICKLIST;
		else if (v->len == 13 &&
			 memcmp(v->s, "MULTI_CONTACT", 13) == 0)
			p->ov_type = OV_MULTI_CONTACT;
		else
			p->ov_type = OV_OTHER;
		return 1;
	case K_VALUES:
		if (v->t != JT_ARR) {
			p->ov_bad = true;
			return skip_value(p, v);
		}
		p->ov_has_values = true;
		p->nitems = 0;
		return push(p, F_OBJV_VALS);
	default:
		return skip_value(p, v);
	}
}

static int add_item(struct sheet_parser *p, const char *a, const char *b,
		    bool contact)
{
	if (!grow(p, &p->items, &p->items_cap, p->nitems + 1,
		  sizeof(*p->items)))
		return 0;
	p->items[p->nitems].a = a;
	p->items[p->nitems].b = b;
	p->items[p->nitems].contact = contact;
	p->nitems++;
	return 1;
}

static int objv_element(struct sheet_parser *p, const struct jv *v)
{
	const char *s;

	switch (v->t) {
	case JT_STR:
		s = pstr(p, v->s, v->len);
		return s && add_item(p, s, NULL, false);
	case JT_MAP:
		p->ct_name = NULL;
		p->ct_email = NULL;
		return push(p, F_CONTACT);
	default:
		p->ov_bad = true;
		return skip_value(p, v);
	}
}

static int contact_value(struct sheet_parser *p, const struct jv *v)
{
	if (v->t != JT_STR)
		return skip_value(p, v);
	if (p->key == K_NAME)
		return get_str(p, v, &p->ct_name);
	if (p->key == K_EMAIL)
		return get_str(p, v, &p->ct_email);
	return 1;
}

/* A value (scalar, or the start of a container) where the top frame is. */
static int on_value(struct sheet_parser *p, const struct jv *v)
{
	if (p->sp == 0) {
		if (v->t != JT_MAP)
			return fail(p, -EIO, "top level is %s, not an object",
				    jt_names[v->t]);
		return push(p, F_SHEET);
	}
	switch (p->stack[p->sp - 1]) {
	case F_SHEET:
		return sheet_value(p, v);
	case F_COLS:
		if (v->t != JT_MAP)
			return fail(p, -EIO, "column is %s", jt_names[v->t]);
		memset(&p->col, 0, sizeof(p->col));
		p->col_has_id = false;
		return push(p, F_COL);
	case F_COL:
		return column_value(p, v);
	case F_ROWS:
		if (v->t != JT_MAP)
			return fail(p, -EIO, "row is %s", jt_names[v->t]);
		memset(&p->row, 0, sizeof(p->row));
		p->row_has_id = false;
		p->ncs = 0;
		p->cells_seen = 0;
		p->hint = 0;
		return push(p, F_ROW);
	case F_ROW:
		return row_value(p, v);
	case F_CELLS:
		if (v->t != JT_MAP)
			return fail(p, -EIO, "cell is %s", jt_names[v->t]);
		memset(&p->cell, 0, sizeof(p->cell));
		p->cell_has_col = false;
		return push(p, F_CELL);
	case F_CELL:
		return cell_value(p, v);
	case F_OBJV:
		return objv_value(p, v);
	case F_OBJV_VALS:
		return objv_element(p, v);
	case F_CONTACT:
		return contact_value(p, v);
	}
	return fail(p, -EIO, "bad state");
}

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
		return fail(p, -ENOMEM, "out of memory");
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
	return over_cap(p);
}

static int end_column(struct sheet_parser *p)
{
	struct model_column *c;

	if (!p->col_has_id)
		return fail(p, -EIO, "column without \"id\"");
	if (p->ncols >= UINT32_MAX)
		return fail(p, -EFBIG, "too many columns");
	if (!grow(p, &p->cols, &p->cols_cap, p->ncols + 1,
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
	struct pcell *pc = &p->cell;
	int64_t idx = 0;

	if (!p->cell_has_col)
		return fail(p, -EIO, "cell without \"columnId\"");
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
		return fail(p, -EFBIG, "too many cells in a row");
	if (!grow(p, &p->cs, &p->cs_cap, p->ncs + 1, sizeof(*p->cs)))
		return 0;
	pc->seq = (uint32_t)p->ncs;
	p->cs[p->ncs++] = *pc;
	return 1;
}

static int pcell_cmp(const void *a, const void *b)
{
	const struct pcell *x = a, *y = b;

	if (x->c.col != y->c.col)
		return x->c.col < y->c.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Sort cs[0..n) by column and keep the last of each column; returns the new
 * count. Cells nearly always arrive in column order: check that first.
 */
static size_t sort_cells(struct pcell *cs, size_t n)
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
		return fail(p, -EIO, "row without \"id\"");
	if (!grow(p, &p->rows, &p->rows_cap, p->nrows + 1,
		  sizeof(*p->rows)))
		return 0;
	if (p->cols_done) {
		n = sort_cells(p->cs, n);
	} else {
		/* Columns unknown yet: keep the raw ids for finish(). */
		if (!grow(p, &p->defer_ids, &p->defer_cap,
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
		r->cells = palloc(p, n * sizeof(*r->cells));
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
	bool contacts = p->ov_type == OV_MULTI_CONTACT;
	size_t i;

	if (p->ov_type == OV_OTHER || !p->ov_has_values || p->ov_bad)
		return 1;
	for (i = 0; i < p->nitems; i++)
		if (p->items[i].contact != contacts)
			return 1;
	if (p->nitems > UINT32_MAX)
		return 1;
	m = palloc(p, sizeof(*m));
	if (!m)
		return 0;
	m->contacts = contacts;
	m->count = (uint32_t)p->nitems;
	/* + 1: an empty list is still an allocation */
	if (contacts) {
		m->v.contacts =
			palloc(p, p->nitems * sizeof(*m->v.contacts) + 1);
		if (!m->v.contacts)
			return 0;
		for (i = 0; i < p->nitems; i++) {
			m->v.contacts[i].name = p->items[i].a;
			m->v.contacts[i].email = p->items[i].b;
		}
	} else {
		m->v.strings = palloc(p, p->nitems * sizeof(*m->v.strings) + 1);
		if (!m->v.strings)
			return 0;
		for (i = 0; i < p->nitems; i++)
			m->v.strings[i] = p->items[i].a;
	}
	p->cell.c.multi = m;
	return 1;
}

static int on_end(struct sheet_parser *p)
{
	enum frame f;

	if (p->skip) {
		p->skip--;
		return 1;
	}
	if (p->sp == 0)
		return fail(p, -EIO, "bad state");
	f = p->stack[--p->sp];
	switch (f) {
	case F_SHEET:
		p->done = true;
		return 1;
	case F_COLS:
		return build_map(p);
	case F_COL:
		return end_column(p);
	case F_ROW:
		return end_row(p);
	case F_CELL:
		if (!end_cell(p))
			return 0;
		p->cells_seen++;
		return 1;
	case F_OBJV:
		return end_objv(p);
	case F_CONTACT:
		return add_item(p, p->ct_name, p->ct_email, true);
	default:
		return 1;
	}
}

static int cb_null(void *ctx)
{
	struct sheet_parser *p = ctx;
	struct jv v = {.t = JT_NULL};

	p->called = true;
	return p->skip ? 1 : on_value(p, &v);
}

static int cb_boolean(void *ctx, int b)
{
	struct sheet_parser *p = ctx;
	struct jv v = {.t = JT_BOOL, .b = b != 0};

	p->called = true;
	return p->skip ? 1 : on_value(p, &v);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	struct sheet_parser *p = ctx;
	struct jv v = {.t = JT_NUM, .s = s, .len = len};

	p->called = true;
	return p->skip ? 1 : on_value(p, &v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct sheet_parser *p = ctx;
	struct jv v = {.t = JT_STR, .s = (const char *)s, .len = len};

	p->called = true;
	return p->skip ? 1 : on_value(p, &v);
}

static int start(void *ctx, enum jt t)
{
	struct sheet_parser *p = ctx;
	struct jv v = {.t = t};

	p->called = true;
	if (p->skip) {
		if (p->sp + p->skip >= MAX_DEPTH)
			return fail(p, -EIO, "nested deeper than %d",
				    MAX_DEPTH);
		p->skip++;
		return 1;
	}
	return on_value(p, &v);
}

static int cb_start_map(void *ctx)
{
	return start(ctx, JT_MAP);
}

static int cb_start_array(void *ctx)
{
	return start(ctx, JT_ARR);
}

static int cb_end(void *ctx)
{
	struct sheet_parser *p = ctx;

	p->called = true;
	return on_end(p);
}

#define KEY(lit) (len == sizeof(lit) - 1 && memcmp(k, lit, len) == 0)

static enum key classify(enum frame f, const char *k, size_t len)
{
	switch (f) {
	case F_SHEET:
		return KEY("id")              ? K_ID
		       : KEY("name")          ? K_NAME
		       : KEY("version")       ? K_VERSION
		       : KEY("permalink")     ? K_PERMALINK
		       : KEY("modifiedAt")    ? K_MODIFIED_AT
		       : KEY("totalRowCount") ? K_TOTAL_ROW_COUNT
		       : KEY("columns")       ? K_COLUMNS
		       : KEY("rows")          ? K_ROWS
					      : K_OTHER;
	case F_COL:
		return KEY("id")        ? K_ID
		       : KEY("title")   ? K_TITLE
		       : KEY("type")    ? K_TYPE
		       : KEY("primary") ? K_PRIMARY
		       : KEY("hidden")  ? K_HIDDEN
					: K_OTHER;
	case F_ROW:
		return KEY("id")          ? K_ID
		       : KEY("cells")     ? K_CELLS
		       : KEY("rowNumber") ? K_ROW_NUMBER
		       : KEY("parentId")  ? K_PARENT_ID
					  : K_OTHER;
	case F_CELL:
		return KEY("columnId")       ? K_COLUMN_ID
		       : KEY("value")        ? K_VALUE
		       : KEY("displayValue") ? K_DISPLAY_VALUE
		       : KEY("objectValue")  ? K_OBJECT_VALUE
					     : K_OTHER;
	case F_OBJV:
		return KEY("objectType") ? K_OBJECT_TYPE
		       : KEY("values")   ? K_VALUES
					 : K_OTHER;
	case F_CONTACT:
		return KEY("name") ? K_NAME : KEY("email") ? K_EMAIL : K_OTHER;
	default:
		return K_OTHER;
	}
}

#undef KEY

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct sheet_parser *p = ctx;

	p->called = true;
	if (!p->skip && p->sp > 0)
		p->key = classify(p->stack[p->sp - 1], (const char *)k, len);
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

/* Free everything but the locale; the parser is then empty. */
static void clear(struct sheet_parser *p)
{
	locale_t loc = p->c_locale;

	if (p->h)
		yajl_free(p->h);
	arena_free(p->arena);
	free(p->cols);
	free(p->rows);
	free(p->map);
	free(p->defer_ids);
	free(p->cs);
	free(p->items);
	memset(p, 0, sizeof(*p));
	p->c_locale = loc;
}

static int begin(struct sheet_parser *p)
{
	p->version = -1;
	p->total_row_count = -1;
	p->arena = arena_new();
	p->h = yajl_alloc(&callbacks, NULL, p);
	if (!p->arena || !p->h)
		return -ENOMEM;
	return 0;
}

struct sheet_parser *sheet_parser_new(void)
{
	struct sheet_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!p->c_locale || begin(p)) {
		sheet_parser_free(p);
		return NULL;
	}
	return p;
}

void sheet_parser_free(struct sheet_parser *p)
{
	if (!p)
		return;
	clear(p);
	if (p->c_locale)
		freelocale(p->c_locale);
	free(p);
}

int sheet_parser_reset(struct sheet_parser *p)
{
	int rc;

	clear(p);
	rc = begin(p);
	if (rc)
		p->err = rc;
	return rc;
}

static int yajl_failed(struct sheet_parser *p)
{
	unsigned char *msg;

	if (p->err)
		return p->err;
	msg = yajl_get_error(p->h, 0, NULL, 0);
	if (msg)
		msg[strcspn((char *)msg, "\n")] = '\0';
	log_debug("sheet JSON: %s", msg ? (const char *)msg : "parse error");
	if (msg)
		yajl_free_error(p->h, msg);
	p->err = -EIO;
	return p->err;
}

int sheet_parser_feed(struct sheet_parser *p, const char *data, size_t n)
{
	yajl_status st;

	if (p->err)
		return p->err;
	if (p->finished)
		return -EINVAL;
	p->called = false;
	st = yajl_parse(p->h, (const unsigned char *)data, n);
	if (st != yajl_status_ok)
		return yajl_failed(p);
	/*
	 * yajl buffers a token that spans chunks before any callback sees it;
	 * bound that buffer: after a chunk with a callback at most that chunk
	 * is pending, after one without the pending part grows.
	 */
	p->gap = p->called ? n : p->gap + n;
	if (!p->called && p->gap > MAX_GAP_BYTES) {
		fail(p, -EIO, "a token longer than %zu bytes", MAX_GAP_BYTES);
		return p->err;
	}
	return 0;
}

/* Rows that ended before the columns: resolve, sort and dedupe in place. */
static int resolve_deferred(struct sheet_parser *p)
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
			if (!grow(p, &p->cs, &p->cs_cap, p->ncs + 1,
				  sizeof(*p->cs)))
				return p->err;
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

	if (p->err)
		return p->err;
	if (p->finished)
		return -EINVAL;
	if (yajl_complete_parse(p->h) != yajl_status_ok)
		return yajl_failed(p);
	if (!p->done) {
		fail(p, -EIO, "incomplete document");
		return p->err;
	}
	if (!p->has_id || !p->cols_seen) {
		fail(p, -EIO, "no \"%s\"", p->has_id ? "columns" : "id");
		return p->err;
	}
	if (!p->cols_done || resolve_deferred(p))
		return p->err ? p->err : -EIO;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = p->id;
	s->name = p->name ? p->name : "";
	s->version = p->version;
	s->permalink = p->permalink;
	s->modified_at = p->modified_at;
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

int api_parse_sheet(const char *json, size_t len, struct model_sheet **out)
{
	struct sheet_parser *p = sheet_parser_new();
	int rc;

	if (!p)
		return -ENOMEM;
	rc = sheet_parser_feed(p, json, len);
	if (!rc)
		rc = sheet_parser_finish(p, out);
	sheet_parser_free(p);
	return rc;
}
