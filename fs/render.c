#include "fs/render.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Append n bytes. When the buffer already has room this is a memcpy and no
 * call; alloc is never above max + 1, so the cap still holds.
 */
static inline int put(struct sbuf *sb, const void *p, size_t n)
{
	if (n < sb->alloc - sb->len) {
		memcpy(sb->buf + sb->len, p, n);
		sb->len += n;
		sb->buf[sb->len] = '\0';
		return 0;
	}
	return sbuf_add(sb, p, n);
}

#define PUT_LIT(sb, lit) put((sb), (lit), sizeof(lit) - 1)

/* Grow out by an estimate, clamped so that a big guess never hits the cap. */
static int reserve(struct sbuf *out, size_t est)
{
	if (out->max && est > out->max - out->len)
		est = out->max - out->len;
	return sbuf_grow(out, est);
}

static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

/* An int64 in decimal, exactly (no NUL); buf holds at least 20 bytes. */
static size_t fmt_i64(char *buf, int64_t v)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_u64(buf, (uint64_t)v);
}

/*
 * Round x (finite, > 0) to prec significant digits with printf, which rounds
 * correctly. On a round trip through strtod, write the digits without
 * trailing zeros to d, the decimal exponent to *e, and return their count;
 * else return 0. printf and strtod both use the current locale's decimal
 * point, so the round trip holds in any locale, and the parse below skips
 * whatever separator printf wrote.
 */
static int digits_at(double x, int prec, char *d, int *e)
{
	char tmp[64];
	const char *p = tmp;
	int k = 0, ex = 0, neg = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
	if (prec < 17 && strtod(tmp, NULL) != x)
		return 0;
	while (*p && *p != 'e') {
		if (*p >= '0' && *p <= '9' && k < 17)
			d[k++] = *p;
		p++;
	}
	if (*p == 'e')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (*p >= '0' && *p <= '9')
		ex = ex * 10 + (*p++ - '0');
	while (k > 1 && d[k - 1] == '0')
		k--;
	*e = neg ? -ex : ex;
	return k;
}

/*
 * The shortest digits that read back as x, the closest to x among those.
 * For a normal double, a decimal of at most 15 digits that reads back as x is
 * nearer to x than half a step of the 15-digit grid, so it is the 15-digit
 * rounding with its trailing zeros cut: trying 15, 16, then 17 digits finds
 * what trying 1..17 would, in at most three rounds. Subnormals have fewer
 * bits, so they take the long way.
 */
static int shortest(double x, char *d, int *e)
{
	int p, k;

	for (p = x >= DBL_MIN ? 15 : 1; p <= 17; p++) {
		k = digits_at(x, p, d, e);
		if (k)
			return k;
	}
	return 0; /* not reached: 17 digits always read back */
}

/*
 * A fast path for the decimals sheets mostly hold (12.5, 0.07): x = m / 10^j
 * with m below 10^14. Dividing the exact doubles m and 10^j rounds
 * correctly, as strtod does, so a match means that m's digits read back as
 * x; a decimal of at most 15 digits that reads back is the one shortest()
 * finds, and the smallest j gives the fewest digits. Returns 0 on no match.
 */
static int short_decimal(double x, char *d, int *e)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3, 1e4,  1e5,
				     1e6,  1e7,	 1e8,  1e9, 1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15};
	double y;
	uint64_t m;
	int j, k;

	for (j = 1; j < (int)SSFS_ARRAY_SIZE(p10); j++) {
		y = x * p10[j];
		if (y >= 1e14)
			return 0;
		m = (uint64_t)(y + 0.5);
		if ((double)m / p10[j] != x)
			continue;
		k = (int)fmt_u64(d, m);
		*e = k - j - 1;
		while (k > 1 && d[k - 1] == '0')
			k--;
		return k;
	}
	return 0;
}

size_t render_number(double x, char *buf)
{
	char d[17];
	size_t len = 0;
	int k, e, n, i;

	if (isnan(x)) {
		memcpy(buf, "NaN", 4);
		return 3;
	}
	if (isinf(x)) {
		if (x < 0) {
			memcpy(buf, "-Infinity", 10);
			return 9;
		}
		memcpy(buf, "Infinity", 9);
		return 8;
	}
	if (x == 0) {
		memcpy(buf, "0", 2); /* -0 too */
		return 1;
	}
	if (x < 0) {
		buf[len++] = '-';
		x = -x;
	}
	if (x < 9007199254740992.0 && (double)(int64_t)x == x) {
		/* An integer below 2^53: its digits, the common case. */
		len += fmt_u64(buf + len, (uint64_t)x);
		buf[len] = '\0';
		return len;
	}
	k = short_decimal(x, d, &e);
	if (!k)
		k = shortest(x, d, &e);
	n = e + 1; /* x = 0.d1d2...dk * 10^n */
	if (k <= n && n <= 21) {
		memcpy(buf + len, d, (size_t)k);
		len += (size_t)k;
		for (i = k; i < n; i++)
			buf[len++] = '0';
	} else if (0 < n && n < k) { /* so n <= 21 too: k <= 17 */
		memcpy(buf + len, d, (size_t)n);
		len += (size_t)n;
		buf[len++] = '.';
		memcpy(buf + len, d + n, (size_t)(k - n));
		len += (size_t)(k - n);
	} else if (-6 < n && n <= 0) {
		buf[len++] = '0';
		buf[len++] = '.';
		for (i = n; i < 0; i++)
			buf[len++] = '0';
		memcpy(buf + len, d, (size_t)k);
		len += (size_t)k;
	} else {
		buf[len++] = d[0];
		if (k > 1) {
			buf[len++] = '.';
			memcpy(buf + len, d + 1, (size_t)(k - 1));
			len += (size_t)(k - 1);
		}
		buf[len++] = 'e';
		buf[len++] = n < 1 ? '-' : '+';
		len += fmt_u64(buf + len, (uint64_t)(n < 1 ? 1 - n : n - 1));
	}
	buf[len] = '\0';
	return len;
}

/* ---- CSV ---- */

static int csv_field_n(struct sbuf *out, const char *s, size_t q)
{
	size_t n, nq = 0, i;
	char *w;
	int rc;

	if (s[q] == '\0')
		return put(out, s, q);
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
	return csv_field_n(out, s, strcspn(s, ",\"\r\n"));
}

static bool has_value(const struct model_cell *c)
{
	return c->kind == MODEL_VAL_NUMBER || c->kind == MODEL_VAL_BOOL ||
	       (c->kind == MODEL_VAL_STRING && c->str);
}

static int csv_value(struct sbuf *out, const struct model_cell *c)
{
	char num[RENDER_NUM_MAX];

	switch (c->kind) {
	case MODEL_VAL_STRING:
		return render_csv_field(out, c->str);
	case MODEL_VAL_NUMBER:
		return put(out, num, render_number(c->num, num));
	case MODEL_VAL_BOOL:
		return c->flag ? PUT_LIT(out, "true") : PUT_LIT(out, "false");
	default:
		return 0;
	}
}

/* Neither value nor displayValue: the objectValue array joined by ", ". */
static int csv_multi(struct sbuf *out, const struct model_multi *m,
		     bool display, struct sbuf *scratch)
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
			rc = PUT_LIT(scratch, ", ");
		if (!rc && t)
			rc = sbuf_addstr(scratch, t);
	}
	if (rc)
		return rc;
	return render_csv_field(out, scratch->buf);
}

static int csv_cell(struct sbuf *out, const struct model_cell *c, bool display,
		    struct sbuf *scratch)
{
	if (display && c->display)
		return render_csv_field(out, c->display);
	if (has_value(c))
		return csv_value(out, c);
	if (c->display)
		return render_csv_field(out, c->display);
	if (c->multi)
		return csv_multi(out, c->multi, display, scratch);
	return 0;
}

/*
 * The estimates below aim low (a number counts 8 bytes, quoting and escapes
 * nothing): sbuf rounds its allocation up to a power of two, so guessing
 * high can double the memory, while guessing a little low costs at most one
 * more doubling.
 */
static size_t csv_estimate(const struct model_sheet *s, bool display)
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
			else if (!has_value(c))
				t = c->display;
			est += t ? strlen(t) : 8;
		}
	}
	return est;
}

static int csv_rows(const struct model_sheet *s, bool display, const char *eol,
		    size_t eol_len, struct sbuf *out, struct sbuf *scratch)
{
	size_t i, col;
	uint32_t j;
	int rc;

	for (i = 0; i < s->ncols; i++) {
		if (i) {
			rc = PUT_LIT(out, ",");
			if (rc)
				return rc;
		}
		rc = render_csv_field(out, s->cols[i].title);
		if (rc)
			return rc;
	}
	rc = put(out, eol, eol_len);
	for (i = 0; i < s->nrows && !rc; i++) {
		const struct model_row *r = &s->rows[i];

		/* Cells are sorted by column: walk them beside the columns. */
		j = 0;
		for (col = 0; col < s->ncols && !rc; col++) {
			if (col)
				rc = PUT_LIT(out, ",");
			while (j < r->ncells && r->cells[j].col < col)
				j++;
			if (!rc && j < r->ncells && r->cells[j].col == col)
				rc = csv_cell(out, &r->cells[j], display,
					      scratch);
		}
		if (!rc)
			rc = put(out, eol, eol_len);
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

	rc = reserve(out, csv_estimate(s, display));
	if (rc)
		goto out;
	rc = csv_rows(s, display, crlf ? "\r\n" : "\n", crlf ? 2 : 1, out,
		      &scratch);
out:
	sbuf_release(&scratch);
	if (rc)
		sbuf_release(out);
	return rc;
}

/* ---- JSON ---- */

/*
 * Bytes a JSON string cannot hold as they are: control characters, '"',
 * '\\', and 0xE2, the lead byte of U+2028 and U+2029 (checked further).
 */
static bool json_special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0xE2;
}

static int json_escape(struct sbuf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char esc[6] = {'\\', 'u', '0', '0', '0', '0'};
	int rc = 0;

	for (; *p && !rc; p++) {
		if (!json_special(*p))
			continue;
		rc = put(out, run, (size_t)(p - run));
		if (rc)
			break;
		switch (*p) {
		case '"':
			rc = PUT_LIT(out, "\\\"");
			break;
		case '\\':
			rc = PUT_LIT(out, "\\\\");
			break;
		case '\n':
			rc = PUT_LIT(out, "\\n");
			break;
		case '\r':
			rc = PUT_LIT(out, "\\r");
			break;
		case '\t':
			rc = PUT_LIT(out, "\\t");
			break;
		case '\b':
			rc = PUT_LIT(out, "\\b");
			break;
		case '\f':
			rc = PUT_LIT(out, "\\f");
			break;
		case 0xE2:
			if (p[1] == 0x80 && p[2] == 0xA8) {
				rc = PUT_LIT(out, "\\u2028");
			} else if (p[1] == 0x80 && p[2] == 0xA9) {
				rc = PUT_LIT(out, "\\u2029");
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
			rc = put(out, esc, sizeof(esc));
			break;
		}
		run = p + 1;
	}
	if (!rc)
		rc = put(out, run, (size_t)(p - run));
	return rc;
}

int render_json_string(struct sbuf *out, const char *s)
{
	int rc = PUT_LIT(out, "\"");

	if (!rc)
		rc = json_escape(out, s ? s : "");
	if (!rc)
		rc = PUT_LIT(out, "\"");
	return rc;
}

static int json_i64(struct sbuf *out, int64_t v)
{
	char b[24];

	return put(out, b, fmt_i64(b, v));
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

/*
 * The key of each column in "cells", written as `"key":` into keys, with
 * its start offset in off[col] (off[ncols] is the end). The first column
 * with a title keeps it; a later one gets " (<column id>)", again until the
 * key is unique.
 */
static int json_keys(const struct model_sheet *s, struct sbuf *keys,
		     size_t *off)
{
	struct strset set = {NULL, 0};
	struct sbuf name = SBUF_INIT(0);
	char **own = NULL;
	bool *dup = NULL;
	size_t cap = 16, i;
	int rc = -ENOMEM;

	while (cap < 2 * s->ncols)
		cap *= 2;
	set.slot = calloc(cap, sizeof(*set.slot));
	own = calloc(s->ncols + 1, sizeof(*own));
	dup = calloc(s->ncols + 1, sizeof(*dup));
	if (!set.slot || !own || !dup)
		goto out;
	set.mask = cap - 1;
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
			rc = PUT_LIT(keys, ":");
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

static int json_header(const struct model_sheet *s, struct sbuf *out)
{
	size_t i;
	int rc;

	rc = PUT_LIT(out, "{\"id\":");
	if (!rc)
		rc = json_i64(out, s->id);
	if (!rc)
		rc = PUT_LIT(out, ",\"name\":");
	if (!rc)
		rc = render_json_string(out, s->name);
	if (!rc && s->version >= 0) {
		rc = PUT_LIT(out, ",\"version\":");
		if (!rc)
			rc = json_i64(out, s->version);
	}
	if (!rc && s->permalink) {
		rc = PUT_LIT(out, ",\"permalink\":");
		if (!rc)
			rc = render_json_string(out, s->permalink);
	}
	if (!rc && s->modified_at) {
		rc = PUT_LIT(out, ",\"modifiedAt\":");
		if (!rc)
			rc = render_json_string(out, s->modified_at);
	}
	if (!rc)
		rc = PUT_LIT(out, ",\"columns\":[");
	for (i = 0; i < s->ncols && !rc; i++) {
		const struct model_column *c = &s->cols[i];

		rc = i ? PUT_LIT(out, ",{\"id\":") : PUT_LIT(out, "{\"id\":");
		if (!rc)
			rc = json_i64(out, c->id);
		if (!rc)
			rc = PUT_LIT(out, ",\"title\":");
		if (!rc)
			rc = render_json_string(out, c->title);
		if (!rc)
			rc = PUT_LIT(out, ",\"type\":");
		if (!rc)
			rc = render_json_string(out, c->type_name);
		if (!rc && c->primary)
			rc = PUT_LIT(out, ",\"primary\":true");
		if (!rc && c->hidden)
			rc = PUT_LIT(out, ",\"hidden\":true");
		if (!rc)
			rc = PUT_LIT(out, "}");
	}
	if (!rc)
		rc = PUT_LIT(out, "],\"rows\":[\n");
	return rc;
}

static int json_contact(struct sbuf *out, const struct model_contact *ct)
{
	int rc = PUT_LIT(out, "{");

	if (!rc && ct->name) {
		rc = PUT_LIT(out, "\"name\":");
		if (!rc)
			rc = render_json_string(out, ct->name);
	}
	if (!rc && ct->email) {
		rc = ct->name ? PUT_LIT(out, ",\"email\":")
			      : PUT_LIT(out, "\"email\":");
		if (!rc)
			rc = render_json_string(out, ct->email);
	}
	if (!rc)
		rc = PUT_LIT(out, "}");
	return rc;
}

static int json_multi(struct sbuf *out, const struct model_multi *m)
{
	uint32_t i;
	int rc = PUT_LIT(out, "[");

	for (i = 0; i < m->count && !rc; i++) {
		if (i)
			rc = PUT_LIT(out, ",");
		if (rc)
			break;
		if (m->contacts)
			rc = json_contact(out, &m->v.contacts[i]);
		else
			rc = render_json_string(out, m->v.strings[i]);
	}
	if (!rc)
		rc = PUT_LIT(out, "]");
	return rc;
}

static int json_value(struct sbuf *out, const struct model_cell *c)
{
	char num[RENDER_NUM_MAX];

	if (c->multi)
		return json_multi(out, c->multi);
	if (!has_value(c))
		return render_json_string(out, c->display);
	switch (c->kind) {
	case MODEL_VAL_NUMBER:
		/* JSON has no NaN or Infinity. */
		if (isnan(c->num) || isinf(c->num))
			return PUT_LIT(out, "null");
		return put(out, num, render_number(c->num, num));
	case MODEL_VAL_BOOL:
		return c->flag ? PUT_LIT(out, "true") : PUT_LIT(out, "false");
	default:
		return render_json_string(out, c->str);
	}
}

/* `{"id":..,"rowNumber":..,"parentId":..,"cells":{` */
static int json_row_head(struct sbuf *out, const struct model_row *r)
{
	int rc;

	rc = PUT_LIT(out, "{\"id\":");
	if (!rc)
		rc = json_i64(out, r->id);
	if (!rc)
		rc = PUT_LIT(out, ",\"rowNumber\":");
	if (!rc)
		rc = json_i64(out, r->row_number);
	if (!rc)
		rc = PUT_LIT(out, ",\"parentId\":");
	if (!rc)
		rc = r->parent_id ? json_i64(out, r->parent_id)
				  : PUT_LIT(out, "null");
	if (!rc)
		rc = PUT_LIT(out, ",\"cells\":{");
	return rc;
}

static int json_rows(const struct model_sheet *s, const struct sbuf *keys,
		     const size_t *off, struct sbuf *out)
{
	size_t i;
	uint32_t j;
	bool first;
	int rc = 0;

	for (i = 0; i < s->nrows && !rc; i++) {
		const struct model_row *r = &s->rows[i];

		rc = json_row_head(out, r);
		first = true;
		for (j = 0; j < r->ncells && !rc; j++) {
			const struct model_cell *c = &r->cells[j];

			if (c->col >= s->ncols ||
			    (!c->multi && !has_value(c) && !c->display))
				continue;
			if (!first)
				rc = PUT_LIT(out, ",");
			first = false;
			if (!rc)
				rc = put(out, keys->buf + off[c->col],
					 off[c->col + 1] - off[c->col]);
			if (!rc)
				rc = json_value(out, c);
		}
		if (!rc)
			rc = i + 1 < s->nrows ? PUT_LIT(out, "}},\n")
					      : PUT_LIT(out, "}}\n");
	}
	if (!rc)
		rc = PUT_LIT(out, "]}\n");
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

static size_t json_estimate(const struct model_sheet *s, const size_t *off)
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
	rc = json_keys(s, &keys, off);
	if (!rc)
		rc = reserve(out, json_estimate(s, off));
	if (!rc)
		rc = json_header(s, out);
	if (!rc)
		rc = json_rows(s, &keys, off, out);
out:
	free(off);
	sbuf_release(&keys);
	if (rc)
		sbuf_release(out);
	return rc;
}

int render_sheet(const struct model_sheet *s, enum render_fmt fmt,
		 const struct render_opts *o, struct sbuf *out)
{
	switch (fmt) {
	case RENDER_FMT_CSV:
		return render_csv(s, o, out);
	case RENDER_FMT_JSON:
		return render_json(s, out);
	}
	sbuf_release(out);
	return -EINVAL;
}

int render_sheet_bytes(const struct model_sheet *s, enum render_fmt fmt,
		       const struct render_opts *o, char **data, size_t *len)
{
	struct sbuf sb = SBUF_INIT(0);
	size_t alloc, n;
	char *p, *fit;
	int rc;

	rc = render_sheet(s, fmt, o, &sb);
	if (rc)
		return rc;
	alloc = sb.alloc;
	p = sbuf_detach(&sb, &n);
	if (!p)
		return -ENOMEM;
	if (alloc > n + 1) {
		fit = realloc(p, n + 1);
		if (fit)
			p = fit;
	}
	*data = p;
	*len = n;
	return 0;
}
