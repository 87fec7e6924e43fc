/*
 * Cells going out (edit/cellout.h): a value as a file shows it and as a
 * request body carries it, in render/'s own forms (render_number,
 * render_json_string, contacts name first), and a sheet's cell as its file
 * shows it. Pure; any thread.
 */
#include "edit/cellout.h"

#include <stdbool.h>
#include <string.h>

#include "render/csv.h"
#include "render/json.h"
#include "render/number.h"

static int put_number(struct sbuf *out, double x, bool json)
{
	char buf[RENDER_NUM_MAX];
	size_t n = json ? render_number_json(x, buf) : render_number(x, buf);

	return sbuf_add(out, buf, n);
}

/* A contact as render/json.c writes one; in a request body it also
 * says "objectType":"CONTACT". */
static int put_contact(struct sbuf *out, const char *name, const char *email,
		       bool with_type)
{
	struct model_contact ct = {name, email};
	int rc = render_json_contact(out, &ct);

	if (rc || !with_type)
		return rc;
	out->buf[--out->len] = '\0'; /* its closing brace */
	return sbuf_addstr(out, ",\"objectType\":\"CONTACT\"}");
}

/* The items of PICKS or CONTACTS: CSV joined by ", "; JSON an array. */
static int put_items(struct sbuf *out, const struct edit_value *v, bool json,
		     bool with_type)
{
	uint32_t i;
	int rc = json ? sbuf_addch(out, '[') : 0;

	for (i = 0; i < v->count && !rc; i++) {
		if (i)
			rc = sbuf_addstr(out, json ? "," : ", ");
		if (rc)
			break;
		if (!json)
			rc = sbuf_addstr(out, v->items[i]);
		else if (v->kind == EDIT_VAL_PICKS)
			rc = render_json_string(out, v->items[i]);
		else
			rc = put_contact(out, v->names ? v->names[i] : NULL,
					 v->items[i], with_type);
	}
	if (!rc && json)
		rc = sbuf_addch(out, ']');
	return rc;
}

int edit_value_show(const struct edit_value *v, enum edit_fmt fmt,
		    struct sbuf *out)
{
	bool json = fmt == EDIT_FMT_JSON;

	switch (v->kind) {
	case EDIT_VAL_STRING:
		return json ? render_json_string(out, v->str)
			    : sbuf_addstr(out, v->str);
	case EDIT_VAL_NUMBER:
		return put_number(out, v->num, json);
	case EDIT_VAL_BOOL:
		return sbuf_addstr(out, v->flag ? "true" : "false");
	case EDIT_VAL_PICKS:
	case EDIT_VAL_CONTACTS:
		return put_items(out, v, json, false);
	default:
		return 0;
	}
}

int edit_value_body(int64_t column_id, const struct edit_value *v,
		    struct sbuf *out)
{
	char id[RENDER_INT64_MAX];
	int rc = sbuf_addstr(out, "{\"columnId\":");

	if (!rc)
		rc = sbuf_add(out, id, render_int64(column_id, id));
	if (rc)
		return rc;
	switch (v->kind) {
	case EDIT_VAL_PICKS:
	case EDIT_VAL_CONTACTS:
		rc = sbuf_addstr(out, v->kind == EDIT_VAL_PICKS
					  ? ",\"objectValue\":{\"objectType\":"
					    "\"MULTI_PICKLIST\",\"values\":"
					  : ",\"objectValue\":{\"objectType\":"
					    "\"MULTI_CONTACT\",\"values\":");
		if (!rc)
			rc = put_items(out, v, true, true);
		if (!rc)
			rc = sbuf_addch(out, '}');
		break;
	case EDIT_VAL_EMPTY:
		rc = sbuf_addstr(out, ",\"value\":\"\"");
		break;
	default:
		rc = sbuf_addstr(out, ",\"value\":");
		if (!rc)
			rc = edit_value_show(v, EDIT_FMT_JSON, out);
		break;
	}
	if (!rc)
		rc = sbuf_addch(out, '}');
	return rc;
}

int edit_value_base_show(const struct model_cell *c, enum edit_fmt fmt,
			 bool display, struct sbuf *out, struct sbuf *scratch)
{
	if (!c)
		return 0;
	if (fmt == EDIT_FMT_CSV)
		return render_csv_cell_text(out, c, display, scratch);
	/* The cells render/json.c leaves out of a row. */
	if (!c->multi && !c->display && c->kind != MODEL_VAL_NUMBER &&
	    c->kind != MODEL_VAL_BOOL &&
	    !(c->kind == MODEL_VAL_STRING && c->str))
		return 0;
	return render_json_value(out, c);
}
