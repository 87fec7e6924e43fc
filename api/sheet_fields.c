/*
 * What each value of a sheet (or a report's page) means: the jsonwalk key
 * and value handlers of the sheet parser. A key is classified once, by the
 * container it is in; its value is checked for type and stored in the
 * column, row or cell being parsed (strings in the sheet's arena, ids
 * exact), or the container is entered. Called on the thread feeding the
 * parser (see sheet_parser.c).
 */
#include "api/sheet_fields_i.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "api/jsonwalk.h"
#include "api/sheet_rows_i.h"

static const char *const key_names[] = {
	"?", "id", "name", "version", "permalink", "modifiedAt",
	"virtualId", "sheetId", "virtualColumnId",
	"totalRowCount", "columns", "rows", "title", "type", "primary",
	"hidden", "parentId", "rowNumber", "cells", "columnId", "value",
	"displayValue", "objectValue", "objectType", "values", "email",
	"accessLevel", "systemColumnType", "formula", "locked", "options",
};

const char *sheet_fields_key_name(enum sheet_key key)
{
	return key_names[key];
}

#define KEY(lit) (len == sizeof(lit) - 1 && memcmp(k, lit, len) == 0)

static enum sheet_key classify(int frame, const char *k, size_t len)
{
	switch (frame) {
	case SHEET_FRAME_SHEET:
		return KEY("id")              ? SHEET_KEY_ID
		       : KEY("name")          ? SHEET_KEY_NAME
		       : KEY("version")       ? SHEET_KEY_VERSION
		       : KEY("permalink")     ? SHEET_KEY_PERMALINK
		       : KEY("modifiedAt")    ? SHEET_KEY_MODIFIED_AT
		       : KEY("totalRowCount") ? SHEET_KEY_TOTAL_ROW_COUNT
		       : KEY("columns")       ? SHEET_KEY_COLUMNS
		       : KEY("rows")          ? SHEET_KEY_ROWS
		       : KEY("accessLevel")   ? SHEET_KEY_ACCESS_LEVEL
					      : SHEET_KEY_OTHER;
	case SHEET_FRAME_COL:
		return KEY("id")        ? SHEET_KEY_ID
		       : KEY("title")   ? SHEET_KEY_TITLE
		       : KEY("type")    ? SHEET_KEY_TYPE
		       : KEY("primary") ? SHEET_KEY_PRIMARY
		       : KEY("hidden")  ? SHEET_KEY_HIDDEN
		       : KEY("systemColumnType") ? SHEET_KEY_SYSTEM_COLUMN_TYPE
		       : KEY("formula") ? SHEET_KEY_FORMULA
		       : KEY("locked")  ? SHEET_KEY_LOCKED
		       : KEY("options") ? SHEET_KEY_OPTIONS
					: SHEET_KEY_OTHER;
	case SHEET_FRAME_ROW:
		return KEY("id")          ? SHEET_KEY_ID
		       : KEY("cells")     ? SHEET_KEY_CELLS
		       : KEY("rowNumber") ? SHEET_KEY_ROW_NUMBER
		       : KEY("parentId")  ? SHEET_KEY_PARENT_ID
		       : KEY("locked")    ? SHEET_KEY_LOCKED
					  : SHEET_KEY_OTHER;
	case SHEET_FRAME_CELL:
		return KEY("columnId")       ? SHEET_KEY_COLUMN_ID
		       : KEY("value")        ? SHEET_KEY_VALUE
		       : KEY("displayValue") ? SHEET_KEY_DISPLAY_VALUE
		       : KEY("objectValue")  ? SHEET_KEY_OBJECT_VALUE
		       : KEY("formula")      ? SHEET_KEY_FORMULA
					     : SHEET_KEY_OTHER;
	case SHEET_FRAME_OBJV:
		return KEY("objectType") ? SHEET_KEY_OBJECT_TYPE
		       : KEY("values")   ? SHEET_KEY_VALUES
					 : SHEET_KEY_OTHER;
	case SHEET_FRAME_CONTACT:
		return KEY("name")    ? SHEET_KEY_NAME
		       : KEY("email") ? SHEET_KEY_EMAIL
				      : SHEET_KEY_OTHER;
	default:
		return SHEET_KEY_OTHER;
	}
}

/* A report's keys where they differ from a sheet's (sheet_parser_i.h). */
static enum sheet_key classify_report(int frame, const char *k, size_t len)
{
	switch (frame) {
	case SHEET_FRAME_SHEET:
		if (KEY("version"))
			return SHEET_KEY_OTHER; /* a report has none */
		break;
	case SHEET_FRAME_COL:
		if (KEY("virtualId"))
			return SHEET_KEY_VIRTUAL_ID;
		if (KEY("id"))
			return SHEET_KEY_OTHER;
		break;
	case SHEET_FRAME_ROW:
		if (KEY("sheetId"))
			return SHEET_KEY_SHEET_ID;
		if (KEY("parentId"))
			return SHEET_KEY_OTHER;
		break;
	case SHEET_FRAME_CELL:
		if (KEY("virtualColumnId"))
			return SHEET_KEY_VIRTUAL_COLUMN_ID;
		if (KEY("columnId"))
			return SHEET_KEY_OTHER; /* the source sheet's column */
		break;
	default:
		break;
	}
	return classify(frame, k, len);
}

#undef KEY

int sheet_fields_key(void *ctx, int frame, const char *k, size_t len)
{
	struct sheet_parser *p = ctx;

	p->key = p->report ? classify_report(frame, k, len)
			   : classify(frame, k, len);
	return (int)p->key;
}

static int wrong_type(struct sheet_parser *p, const struct jsonwalk_value *v,
		      const char *want)
{
	return jsonwalk_fail(p->w, -EIO, "is %s, expected %s",
			     jsonwalk_type_name(v->type), want);
}

static int get_i64(struct sheet_parser *p, const struct jsonwalk_value *v,
		   int64_t *out)
{
	int rc;

	if (v->type != JSONWALK_TYPE_NUMBER)
		return wrong_type(p, v, "an integer");
	rc = jsonwalk_parse_int64(v->s, v->len, out);
	if (rc)
		return jsonwalk_fail(p->w, -EIO,
				     "\"%.*s\" is not an int64 (%s)",
				     (int)(v->len > 40 ? 40 : v->len), v->s,
				     rc == -ERANGE ? "out of range"
						   : "not an integer");
	return 1;
}

/* A string field: 1 with *out set (NULL for null), 0 on failure. */
static int get_str(struct sheet_parser *p, const struct jsonwalk_value *v,
		   const char **out)
{
	if (v->type == JSONWALK_TYPE_NULL) {
		*out = NULL;
		return 1;
	}
	if (v->type != JSONWALK_TYPE_STRING)
		return wrong_type(p, v, "a string");
	*out = sheet_parser_str(p, v->s, v->len);
	return *out != NULL;
}

static int get_bool(struct sheet_parser *p, const struct jsonwalk_value *v,
		    bool *out)
{
	if (v->type == JSONWALK_TYPE_NULL)
		*out = false;
	else if (v->type == JSONWALK_TYPE_BOOL)
		*out = v->b;
	else
		return wrong_type(p, v, "a boolean");
	return 1;
}

/* "formula": a string (the formula) when there is one; null or "" is
 * none. Only whether there is one is kept. */
static int get_formula(struct sheet_parser *p, const struct jsonwalk_value *v,
		       bool *out)
{
	if (v->type == JSONWALK_TYPE_NULL) {
		*out = false;
		return 1;
	}
	if (v->type != JSONWALK_TYPE_STRING)
		return wrong_type(p, v, "a string");
	*out = v->len > 0;
	return 1;
}

static int get_double(struct sheet_parser *p, const struct jsonwalk_value *v,
		      double *out)
{
	int rc = jsonwalk_parse_double(v->s, v->len, p->c_locale, out);

	if (rc == -ENOMEM)
		return jsonwalk_fail(p->w, -ENOMEM, "out of memory");
	if (rc)
		return jsonwalk_fail(p->w, -EIO, "number out of range");
	return 1;
}

static int sheet_value(struct sheet_parser *p, int key,
		       const struct jsonwalk_value *v)
{
	switch (key) {
	case SHEET_KEY_ID:
		if (!get_i64(p, v, &p->id))
			return 0;
		p->has_id = true;
		return 1;
	case SHEET_KEY_NAME:
		return get_str(p, v, &p->name);
	case SHEET_KEY_VERSION:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		return get_i64(p, v, &p->version);
	case SHEET_KEY_PERMALINK:
		return get_str(p, v, &p->permalink);
	case SHEET_KEY_MODIFIED_AT:
		return get_str(p, v, &p->modified_at);
	case SHEET_KEY_ACCESS_LEVEL:
		return get_str(p, v, &p->access_level);
	case SHEET_KEY_TOTAL_ROW_COUNT:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		return get_i64(p, v, &p->total_row_count);
	case SHEET_KEY_COLUMNS:
		if (v->type != JSONWALK_TYPE_ARRAY)
			return wrong_type(p, v, "an array");
		if (p->cols_seen)
			return jsonwalk_fail(p->w, -EIO,
					     "a second \"columns\"");
		p->cols_seen = true;
		return jsonwalk_enter(p->w, SHEET_FRAME_COLS);
	case SHEET_KEY_ROWS:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		if (v->type != JSONWALK_TYPE_ARRAY)
			return wrong_type(p, v, "an array");
		return jsonwalk_enter(p->w, SHEET_FRAME_ROWS);
	default:
		return 1; /* skipped */
	}
}

/*
 * The top level of a report's later page: only its rows are new. Its id
 * must be the first page's (else the answer is wrong: -EIO); a different
 * totalRowCount or modifiedAt means the report changed between the pages
 * (-ESTALE: read it again). Name, permalink and columns are skipped.
 */
static int later_page_value(struct sheet_parser *p, int key,
			    const struct jsonwalk_value *v)
{
	int64_t n = -1;

	switch (key) {
	case SHEET_KEY_ID:
		if (!get_i64(p, v, &n))
			return 0;
		if (n != p->id)
			return jsonwalk_fail(p->w, -EIO,
					     "%" PRId64 ", the first page's "
					     "%" PRId64,
					     n, p->id);
		return 1;
	case SHEET_KEY_TOTAL_ROW_COUNT:
		if (v->type != JSONWALK_TYPE_NULL && !get_i64(p, v, &n))
			return 0;
		if (n != p->total_row_count)
			return jsonwalk_fail(p->w, -ESTALE,
					     "%" PRId64 " after %" PRId64
					     " on the first page: the report "
					     "changed",
					     n, p->total_row_count);
		return 1;
	case SHEET_KEY_MODIFIED_AT:
		if (v->type != JSONWALK_TYPE_STRING || !p->modified_at)
			return 1;
		if (strlen(p->modified_at) != v->len ||
		    memcmp(p->modified_at, v->s, v->len) != 0)
			return jsonwalk_fail(p->w, -ESTALE,
					     "not the first page's: the report "
					     "changed");
		return 1;
	case SHEET_KEY_ROWS:
		return sheet_value(p, key, v);
	default:
		return 1;
	}
}

static int column_value(struct sheet_parser *p, int key,
			const struct jsonwalk_value *v)
{
	switch (key) {
	case SHEET_KEY_ID:
	case SHEET_KEY_VIRTUAL_ID:
		if (!get_i64(p, v, &p->col.id))
			return 0;
		p->col_has_id = true;
		return 1;
	case SHEET_KEY_TITLE:
		return get_str(p, v, &p->col.title);
	case SHEET_KEY_TYPE:
		return get_str(p, v, &p->col.type_name);
	case SHEET_KEY_PRIMARY:
		return get_bool(p, v, &p->col.primary);
	case SHEET_KEY_HIDDEN:
		return get_bool(p, v, &p->col.hidden);
	case SHEET_KEY_SYSTEM_COLUMN_TYPE: {
		const char *t = NULL;

		if (!get_str(p, v, &t))
			return 0;
		p->col.system_type = model_sys_col_from_name(t);
		return 1;
	}
	case SHEET_KEY_FORMULA:
		return get_formula(p, v, &p->col.formula);
	case SHEET_KEY_LOCKED:
		return get_bool(p, v, &p->col.locked);
	case SHEET_KEY_OPTIONS:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		if (v->type != JSONWALK_TYPE_ARRAY)
			return wrong_type(p, v, "an array");
		p->nitems = 0;
		return jsonwalk_enter(p->w, SHEET_FRAME_OPTIONS);
	default:
		return 1;
	}
}

/* One of a column's options: a string. Anything else is skipped: options
 * only guide what a save accepts, and must not make a sheet unreadable. */
static int option_element(struct sheet_parser *p,
			  const struct jsonwalk_value *v)
{
	const char *s;

	if (v->type != JSONWALK_TYPE_STRING)
		return 1;
	s = sheet_parser_str(p, v->s, v->len);
	return s && sheet_rows_add_item(p, s, NULL, false);
}

static int row_value(struct sheet_parser *p, int key,
		     const struct jsonwalk_value *v)
{
	switch (key) {
	case SHEET_KEY_ID:
		if (!get_i64(p, v, &p->row.id))
			return 0;
		p->row_has_id = true;
		return 1;
	case SHEET_KEY_PARENT_ID:
		if (v->type == JSONWALK_TYPE_NULL) {
			p->row.parent_id = 0;
			return 1;
		}
		return get_i64(p, v, &p->row.parent_id);
	case SHEET_KEY_SHEET_ID:
		if (v->type == JSONWALK_TYPE_NULL) {
			p->row.sheet_id = 0;
			return 1;
		}
		return get_i64(p, v, &p->row.sheet_id);
	case SHEET_KEY_ROW_NUMBER:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		return get_i64(p, v, &p->row.row_number);
	case SHEET_KEY_LOCKED:
		return get_bool(p, v, &p->row.locked);
	case SHEET_KEY_CELLS:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		if (v->type != JSONWALK_TYPE_ARRAY)
			return wrong_type(p, v, "an array");
		return jsonwalk_enter(p->w, SHEET_FRAME_CELLS);
	default:
		return 1;
	}
}

/* A cell's "value": a string, number or boolean, or null. */
static int cell_scalar(struct sheet_parser *p, const struct jsonwalk_value *v)
{
	struct model_cell *c = &p->cell.c;

	c->kind = MODEL_VAL_NONE;
	c->str = NULL;
	switch (v->type) {
	case JSONWALK_TYPE_NULL:
		return 1;
	case JSONWALK_TYPE_BOOL:
		c->kind = MODEL_VAL_BOOL;
		c->flag = v->b;
		return 1;
	case JSONWALK_TYPE_NUMBER:
		c->kind = MODEL_VAL_NUMBER;
		return get_double(p, v, &c->num);
	case JSONWALK_TYPE_STRING:
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
}

static int cell_value(struct sheet_parser *p, int key,
		      const struct jsonwalk_value *v)
{
	struct model_cell *c = &p->cell.c;

	switch (key) {
	case SHEET_KEY_COLUMN_ID:
	case SHEET_KEY_VIRTUAL_COLUMN_ID:
		if (!get_i64(p, v, &p->cell.col_id))
			return 0;
		p->cell_has_col = true;
		return 1;
	case SHEET_KEY_VALUE:
		return cell_scalar(p, v);
	case SHEET_KEY_FORMULA:
		return get_formula(p, v, &c->formula);
	case SHEET_KEY_DISPLAY_VALUE:
		/* Compared raw: a stored string holds no NUL nor surrogate. */
		if (v->type == JSONWALK_TYPE_STRING &&
		    c->kind == MODEL_VAL_STRING && p->str_len == v->len &&
		    memcmp(c->str, v->s, v->len) == 0) {
			c->display = c->str;
			p->display_len = p->str_len;
			return 1;
		}
		if (!get_str(p, v, &c->display))
			return 0;
		p->display_len = p->last_len;
		return 1;
	case SHEET_KEY_OBJECT_VALUE:
		if (v->type != JSONWALK_TYPE_MAP)
			return 1;
		p->ov_type = SHEET_OV_OTHER;
		p->ov_has_values = false;
		p->ov_bad = false;
		p->nitems = 0;
		return jsonwalk_enter(p->w, SHEET_FRAME_OBJV);
	default:
		return 1;
	}
}

/* objectValue never fails the parse: a shape we do not know is dropped. */
static int objv_value(struct sheet_parser *p, int key,
		      const struct jsonwalk_value *v)
{
	switch (key) {
	case SHEET_KEY_OBJECT_TYPE:
		if (v->type != JSONWALK_TYPE_STRING)
			return 1;
		if (v->len == 14 && memcmp(v->s, "MULTI_PICKLIST", 14) == 0)
			p->ov_type = SHEET_OV_MULTI_PICKLIST;
		else if (v->len == 13 &&
			 memcmp(v->s, "MULTI_CONTACT", 13) == 0)
			p->ov_type = SHEET_OV_MULTI_CONTACT;
		else
			p->ov_type = SHEET_OV_OTHER;
		return 1;
	case SHEET_KEY_VALUES:
		if (v->type != JSONWALK_TYPE_ARRAY) {
			p->ov_bad = true;
			return 1;
		}
		p->ov_has_values = true;
		p->nitems = 0;
		return jsonwalk_enter(p->w, SHEET_FRAME_OBJV_VALS);
	default:
		return 1;
	}
}

static int objv_element(struct sheet_parser *p, const struct jsonwalk_value *v)
{
	const char *s;

	switch (v->type) {
	case JSONWALK_TYPE_STRING:
		s = sheet_parser_str(p, v->s, v->len);
		return s && sheet_rows_add_item(p, s, NULL, false);
	case JSONWALK_TYPE_MAP:
		p->ct_name = NULL;
		p->ct_email = NULL;
		return jsonwalk_enter(p->w, SHEET_FRAME_CONTACT);
	default:
		p->ov_bad = true;
		return 1;
	}
}

static int contact_value(struct sheet_parser *p, int key,
			 const struct jsonwalk_value *v)
{
	if (v->type != JSONWALK_TYPE_STRING)
		return 1;
	if (key == SHEET_KEY_NAME)
		return get_str(p, v, &p->ct_name);
	if (key == SHEET_KEY_EMAIL)
		return get_str(p, v, &p->ct_email);
	return 1;
}

/* An element of an array we walk: a new column, row or cell. */
static int element(struct sheet_parser *p, int frame,
		   const struct jsonwalk_value *v)
{
	if (v->type != JSONWALK_TYPE_MAP)
		return jsonwalk_fail(p->w, -EIO, "%s is %s",
				     frame == SHEET_FRAME_COLS   ? "column"
				     : frame == SHEET_FRAME_ROWS ? "row"
								 : "cell",
				     jsonwalk_type_name(v->type));
	switch (frame) {
	case SHEET_FRAME_COLS:
		memset(&p->col, 0, sizeof(p->col));
		p->col_has_id = false;
		return jsonwalk_enter(p->w, SHEET_FRAME_COL);
	case SHEET_FRAME_ROWS:
		memset(&p->row, 0, sizeof(p->row));
		p->row_has_id = false;
		p->ncs = 0;
		p->cells_seen = 0;
		p->hint = 0;
		return jsonwalk_enter(p->w, SHEET_FRAME_ROW);
	default:
		memset(&p->cell, 0, sizeof(p->cell));
		p->cell_has_col = false;
		return jsonwalk_enter(p->w, SHEET_FRAME_CELL);
	}
}

int sheet_fields_value(void *ctx, int frame, int key,
		       const struct jsonwalk_value *v)
{
	struct sheet_parser *p = ctx;

	switch (frame) {
	case SHEET_FRAME_SHEET:
		return p->page ? later_page_value(p, key, v)
			       : sheet_value(p, key, v);
	case SHEET_FRAME_COLS:
	case SHEET_FRAME_ROWS:
	case SHEET_FRAME_CELLS:
		return element(p, frame, v);
	case SHEET_FRAME_COL:
		return column_value(p, key, v);
	case SHEET_FRAME_ROW:
		return row_value(p, key, v);
	case SHEET_FRAME_CELL:
		return cell_value(p, key, v);
	case SHEET_FRAME_OBJV:
		return objv_value(p, key, v);
	case SHEET_FRAME_OBJV_VALS:
		return objv_element(p, v);
	case SHEET_FRAME_CONTACT:
		return contact_value(p, key, v);
	case SHEET_FRAME_OPTIONS:
		return option_element(p, v);
	default:
		return jsonwalk_fail(p->w, -EIO, "bad state");
	}
}
