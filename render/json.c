/*
 * Sheet model -> JSON (SPEC §4; a report's, §7): the sheet and its columns
 * on the first line, then one row object a line with its cells keyed by
 * column title (made unique), values in their JSON types. Pure: no I/O, no
 * locks, no state; any thread may call it.
 */
#include "render/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/json_i.h"
#include "render/number.h"
#include "render/render_i.h"

/*
 * Bytes a JSON string cannot hold as they are: control characters, '"',
 * '\\', and 0xE2, the lead byte of U+2028 and U+2029 (checked further).
 */
static bool is_special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0xE2;
}

static int put_escaped(struct sbuf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char esc[6] = {'\\', 'u', '0', '0', '0', '0'};
	int rc = 0;

	for (; *p && !rc; p++) {
		if (!is_special(*p))
			continue;
		rc = render_put(out, run, (size_t)(p - run));
		if (rc)
			break;
		switch (*p) {
		case '"':
			rc = RENDER_PUT_LIT(out, "\\\"");
			break;
		case '\\':
			rc = RENDER_PUT_LIT(out, "\\\\");
			break;
		case '\n':
			rc = RENDER_PUT_LIT(out, "\\n");
			break;
		case '\r':
			rc = RENDER_PUT_LIT(out, "\\r");
			break;
		case '\t':
			rc = RENDER_PUT_LIT(out, "\\t");
			break;
		case '\b':
			rc = RENDER_PUT_LIT(out, "\\b");
			break;
		case '\f':
			rc = RENDER_PUT_LIT(out, "\\f");
			break;
		case 0xE2:
			if (p[1] == 0x80 && p[2] == 0xA8) {
				rc = RENDER_PUT_LIT(out, "\\u2028");
			} else if (p[1] == 0x80 && p[2] == 0xA9) {
				rc = RENDER_PUT_LIT(out, "\\u2029");
			} else {
				/* Any other U+2xxx stays as it is. */
				run = p;
				continue;
			}
			p += 2;
			break;
		default:
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xF];
			rc = render_put(out, esc, sizeof(esc));
			break;
		}
		run = p + 1;
	}
	if (!rc)
		rc = render_put(out, run, (size_t)(p - run));
	return rc;
}

int render_json_string(struct sbuf *out, const char *s)
{
	int rc = RENDER_PUT_LIT(out, "\"");

	if (!rc)
		rc = put_escaped(out, s ? s : "");
	if (!rc)
		rc = RENDER_PUT_LIT(out, "\"");
	return rc;
}

int render_json_i64(struct sbuf *out, int64_t v)
{
	char b[RENDER_INT64_MAX];

	return render_put(out, b, render_int64(v, b));
}

/* A set of strings (open addressing) to make the cell keys unique. */
struct strset {
	const char **slot;
	size_t mask;
};

static size_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return (size_t)h;
}

/* Returns true when s was already in the set; else adds it. */
static bool strset_add(struct strset *set, const char *s)
{
	size_t i = str_hash(s) & set->mask;

	while (set->slot[i]) {
		if (strcmp(set->slot[i], s) == 0)
			return true;
		i = (i + 1) & set->mask;
	}
	set->slot[i] = s;
	return false;
}

int render_json_cell_keys(const struct model_sheet *s,
			  const char *const *reserved, struct sbuf *keys,
			  size_t *off)
{
	struct strset set = {NULL, 0};
	struct sbuf name = SBUF_INIT(0);
	char **own = NULL;
	bool *dup = NULL;
	size_t cap = 16, i;
	int rc = -ENOMEM;

	while (cap < 2 * s->ncols + 8)
		cap *= 2;
	set.slot = calloc(cap, sizeof(*set.slot));
	own = calloc(s->ncols + 1, sizeof(*own));
	dup = calloc(s->ncols + 1, sizeof(*dup));
	if (!set.slot || !own || !dup)
		goto out;
	set.mask = cap - 1;
	for (i = 0; reserved && reserved[i]; i++)
		(void)strset_add(&set, reserved[i]);
	for (i = 0; i < s->ncols; i++)
		dup[i] = strset_add(&set, s->cols[i].title);
	for (i = 0; i < s->ncols; i++) {
		if (!dup[i])
			continue;
		rc = sbuf_addstr(&name, s->cols[i].title);
		while (!rc) {
			rc = sbuf_addf(&name, " (%" PRId64 ")", s->cols[i].id);
			if (!rc && !strset_add(&set, name.buf))
				break;
		}
		if (rc)
			goto out;
		/* The set holds name.buf: own[i] keeps it alive. */
		own[i] = sbuf_detach(&name, NULL);
	}
	rc = 0;
	for (i = 0; i < s->ncols && !rc; i++) {
		off[i] = keys->len;
		rc = render_json_string(keys,
					own[i] ? own[i] : s->cols[i].title);
		if (!rc)
			rc = RENDER_PUT_LIT(keys, ":");
	}
	off[s->ncols] = keys->len;
out:
	if (own)
		for (i = 0; i < s->ncols; i++)
			free(own[i]);
	free(own);
	free(dup);
	free(set.slot);
	sbuf_release(&name);
	return rc;
}

int render_json_link(struct sbuf *out, const struct model_sheet *s,
		     const struct model_row *r)
{
	int64_t v = s->is_report ? r->sheet_id : r->parent_id;

	return v ? render_json_i64(out, v) : RENDER_PUT_LIT(out, "null");
}

/* A report's totalRowCount stands where a sheet's version does. */
static int put_count(const struct model_sheet *s, struct sbuf *out)
{
	int64_t v = s->is_report ? s->total_row_count : s->version;
	int rc;

	if (v < 0)
		return 0;
	rc = s->is_report ? RENDER_PUT_LIT(out, ",\"totalRowCount\":")
			  : RENDER_PUT_LIT(out, ",\"version\":");
	return rc ? rc : render_json_i64(out, v);
}

static int put_header(const struct model_sheet *s, struct sbuf *out)
{
	size_t i;
	int rc;

	rc = RENDER_PUT_LIT(out, "{\"id\":");
	if (!rc)
		rc = render_json_i64(out, s->id);
	if (!rc)
		rc = RENDER_PUT_LIT(out, ",\"name\":");
	if (!rc)
		rc = render_json_string(out, s->name);
	if (!rc)
		rc = put_count(s, out);
	if (!rc && s->permalink) {
		rc = RENDER_PUT_LIT(out, ",\"permalink\":");
		if (!rc)
			rc = render_json_string(out, s->permalink);
	}
	if (!rc && s->modified_at) {
		rc = RENDER_PUT_LIT(out, ",\"modifiedAt\":");
		if (!rc)
			rc = render_json_string(out, s->modified_at);
	}
	if (!rc)
		rc = RENDER_PUT_LIT(out, ",\"columns\":[");
	for (i = 0; i < s->ncols && !rc; i++) {
		const struct model_column *c = &s->cols[i];

		rc = i ? RENDER_PUT_LIT(out, ",") : 0;
		if (!rc && s->is_report)
			rc = RENDER_PUT_LIT(out, "{\"virtualId\":");
		else if (!rc)
			rc = RENDER_PUT_LIT(out, "{\"id\":");
		if (!rc)
			rc = render_json_i64(out, c->id);
		if (!rc)
			rc = RENDER_PUT_LIT(out, ",\"title\":");
		if (!rc)
			rc = render_json_string(out, c->title);
		if (!rc)
			rc = RENDER_PUT_LIT(out, ",\"type\":");
		if (!rc)
			rc = render_json_string(out, c->type_name);
		if (!rc && c->primary)
			rc = RENDER_PUT_LIT(out, ",\"primary\":true");
		if (!rc && c->hidden)
			rc = RENDER_PUT_LIT(out, ",\"hidden\":true");
		if (!rc)
			rc = RENDER_PUT_LIT(out, "}");
	}
	if (!rc)
		rc = RENDER_PUT_LIT(out, "],\"rows\":[\n");
	return rc;
}

int render_json_contact(struct sbuf *out, const struct model_contact *ct)
{
	int rc = RENDER_PUT_LIT(out, "{");

	if (!rc && ct->name) {
		rc = RENDER_PUT_LIT(out, "\"name\":");
		if (!rc)
			rc = render_json_string(out, ct->name);
	}
	if (!rc && ct->email) {
		rc = ct->name ? RENDER_PUT_LIT(out, ",\"email\":")
			      : RENDER_PUT_LIT(out, "\"email\":");
		if (!rc)
			rc = render_json_string(out, ct->email);
	}
	if (!rc)
		rc = RENDER_PUT_LIT(out, "}");
	return rc;
}

static int put_multi(struct sbuf *out, const struct model_multi *m)
{
	uint32_t i;
	int rc = RENDER_PUT_LIT(out, "[");

	for (i = 0; i < m->count && !rc; i++) {
		if (i)
			rc = RENDER_PUT_LIT(out, ",");
		if (rc)
			break;
		if (m->contacts)
			rc = render_json_contact(out, &m->v.contacts[i]);
		else
			rc = render_json_string(out, m->v.strings[i]);
	}
	if (!rc)
		rc = RENDER_PUT_LIT(out, "]");
	return rc;
}

int render_json_value(struct sbuf *out, const struct model_cell *c)
{
	char num[RENDER_NUM_MAX];

	if (c->multi)
		return put_multi(out, c->multi);
	if (!render_has_value(c))
		return render_json_string(out, c->display);
	switch (c->kind) {
	case MODEL_VAL_NUMBER:
		/* JSON has no NaN or Infinity. */
		if (isnan(c->num) || isinf(c->num))
			return RENDER_PUT_LIT(out, "null");
		return render_put(out, num, render_number_json(c->num, num));
	case MODEL_VAL_BOOL:
		return c->flag ? RENDER_PUT_LIT(out, "true")
			       : RENDER_PUT_LIT(out, "false");
	default:
		return render_json_string(out, c->str);
	}
}

/* `{"id":..,"rowNumber":..,"parentId":..,"cells":{` (a report's row:
 * "sheetId" for "parentId") */
static int put_row_head(struct sbuf *out, const struct model_sheet *s,
			const struct model_row *r)
{
	int rc;

	rc = RENDER_PUT_LIT(out, "{\"id\":");
	if (!rc)
		rc = render_json_i64(out, r->id);
	if (!rc)
		rc = RENDER_PUT_LIT(out, ",\"rowNumber\":");
	if (!rc)
		rc = render_json_i64(out, r->row_number);
	if (!rc)
		rc = s->is_report ? RENDER_PUT_LIT(out, ",\"sheetId\":")
				  : RENDER_PUT_LIT(out, ",\"parentId\":");
	if (!rc)
		rc = render_json_link(out, s, r);
	if (!rc)
		rc = RENDER_PUT_LIT(out, ",\"cells\":{");
	return rc;
}

int render_json_cells(const struct model_sheet *s, const struct model_row *r,
		      const struct sbuf *keys, const size_t *off, bool first,
		      struct sbuf *out)
{
	uint32_t j;
	int rc = 0;

	for (j = 0; j < r->ncells && !rc; j++) {
		const struct model_cell *c = &r->cells[j];

		if (c->col >= s->ncols ||
		    (!c->multi && !render_has_value(c) && !c->display))
			continue;
		if (!first)
			rc = RENDER_PUT_LIT(out, ",");
		first = false;
		if (!rc)
			rc = render_put(out, keys->buf + off[c->col],
					off[c->col + 1] - off[c->col]);
		if (!rc)
			rc = render_json_value(out, c);
	}
	return rc;
}

static int put_rows(const struct model_sheet *s, const struct sbuf *keys,
		    const size_t *off, struct sbuf *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->nrows && !rc; i++) {
		const struct model_row *r = &s->rows[i];

		rc = put_row_head(out, s, r);
		if (!rc)
			rc = render_json_cells(s, r, keys, off, true, out);
		if (!rc)
			rc = i + 1 < s->nrows ? RENDER_PUT_LIT(out, "}},\n")
					      : RENDER_PUT_LIT(out, "}}\n");
	}
	if (!rc)
		rc = RENDER_PUT_LIT(out, "]}\n");
	return rc;
}

static size_t multi_len(const struct model_multi *m, uint32_t k)
{
	const struct model_contact *ct;

	if (!m->contacts)
		return 3 + (m->v.strings[k] ? strlen(m->v.strings[k]) : 0);
	ct = &m->v.contacts[k];
	return 24 + (ct->name ? strlen(ct->name) : 0) +
	       (ct->email ? strlen(ct->email) : 0);
}

size_t render_json_estimate(const struct model_sheet *s, const size_t *off)
{
	size_t est = 256, i;
	uint32_t j, k;

	est += strlen(s->name) + 2 * s->ncols * 32 + off[s->ncols];
	for (i = 0; i < s->nrows; i++) {
		const struct model_row *r = &s->rows[i];

		est += 64;
		for (j = 0; j < r->ncells; j++) {
			const struct model_cell *c = &r->cells[j];
			const struct model_multi *m = c->multi;

			if (c->col >= s->ncols)
				continue;
			est += off[c->col + 1] - off[c->col] + 1;
			if (m) {
				for (k = 0; k < m->count; k++)
					est += multi_len(m, k);
			} else if (c->kind == MODEL_VAL_STRING && c->str) {
				est += strlen(c->str) + 2;
			} else if (c->kind == MODEL_VAL_NONE && c->display) {
				est += strlen(c->display) + 2;
			} else {
				est += 8;
			}
		}
	}
	return est;
}

int render_json(const struct model_sheet *s, struct sbuf *out)
{
	struct sbuf keys = SBUF_INIT(0);
	size_t *off;
	int rc = -ENOMEM;

	off = malloc((s->ncols + 1) * sizeof(*off));
	if (!off)
		goto out;
	rc = render_json_cell_keys(s, NULL, &keys, off);
	if (!rc)
		rc = render_reserve(out, render_json_estimate(s, off));
	if (!rc)
		rc = put_header(s, out);
	if (!rc)
		rc = put_rows(s, &keys, off, out);
out:
	free(off);
	sbuf_release(&keys);
	if (rc)
		sbuf_release(out);
	return rc;
}
