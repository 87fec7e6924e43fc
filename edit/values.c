/*
 * Written fields -> cell values by column type, and values -> the text a
 * file shows and the cell of a request body (edit/values.h). The rules
 * are SPEC §8 "Text to values"; numbers go through render_number so that a
 * field is a number exactly when render/ would print it so. Pure; any
 * thread (the one "C" locale is made once, then only read).
 */
#include "edit/values.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "render/number.h"
#include "util/arena.h"

static pthread_once_t c_once = PTHREAD_ONCE_INIT;
static locale_t c_loc;

static void make_c_locale(void)
{
	c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* "line N, column "T": why" -> -EINVAL. */
static int col_err(char *err, uint32_t line, const struct model_column *col,
		   const char *fmt, ...) SSFS_PRINTF(4, 5);

static int col_err(char *err, uint32_t line, const struct model_column *col,
		   const char *fmt, ...)
{
	char t[EDIT_SHORT_MAX], why[EDIT_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return edit_errf(err, 0, "line %u, column \"%s\": %s", line,
			 edit_short(t, col->title), why);
}

/* Characters of valid UTF-8, or -1 when s is not valid UTF-8. */
static long utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		unsigned c = *p, need, cp, i;

		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return -1;
		}
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((need == 2 &&
		     (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return -1;
		p += need + 1;
		n++;
	}
	return n;
}

static int check_text(const struct model_column *col, const char *text,
		      uint32_t line, char *err)
{
	long n = utf8_chars(text);

	if (n < 0)
		return col_err(err, line, col, "the text is not valid UTF-8");
	if (n > EDIT_MAX_CELL_CHARS)
		return col_err(err, line, col,
			       "%ld characters; Smartsheet keeps at most %d "
			       "and would cut the rest",
			       n, EDIT_MAX_CELL_CHARS);
	return 0;
}

/*
 * Whether text is exactly render_number's text of a finite number; *x is
 * that number. Only [-+.0-9e] can be in such a text.
 */
static bool exact_number(const char *text, double *x)
{
	char buf[RENDER_NUM_MAX];
	char *end;
	double d;

	if (!*text || strspn(text, "-+.0123456789e") != strlen(text))
		return false;
	pthread_once(&c_once, make_c_locale);
	if (!c_loc)
		return false;
	d = strtod_l(text, &end, c_loc);
	if (*end || !isfinite(d))
		return false;
	(void)render_number(d, buf);
	if (strcmp(buf, text) != 0)
		return false;
	*x = d;
	return true;
}

static bool digits(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* YYYY-MM-DD, a real date (Gregorian, years 0001-9999). */
static bool is_date(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y, m, d, max;

	if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' ||
	    !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
		return false;
	y = num2(s) * 100 + num2(s + 2);
	m = num2(s + 5);
	d = num2(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* YYYY-MM-DD, or that and THH:MM:SS with an optional Z. */
static bool is_datetime(const char *s)
{
	size_t n = strlen(s);

	if (!is_date(s))
		return false;
	if (n == 10)
		return true;
	if ((n != 19 && n != 20) || s[10] != 'T' || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
	    !digits(s + 17, 2) || (n == 20 && s[19] != 'Z'))
		return false;
	return num2(s + 11) < 24 && num2(s + 14) < 60 && num2(s + 17) < 60;
}

static bool is_option(const struct model_column *col, const char *s, size_t n)
{
	uint32_t i;

	for (i = 0; i < col->noptions; i++)
		if (col->options[i] && strlen(col->options[i]) == n &&
		    memcmp(col->options[i], s, n) == 0)
			return true;
	return false;
}

/*
 * Split text on ", " into arena strings. For a MULTI_PICKLIST column
 * (options), a run of parts whose joined text is an option stays whole:
 * the longest run from each place, left to right.
 */
static int split(const struct model_column *col, const char *text, bool options,
		 struct arena *a, struct edit_value *v)
{
	const char *p;
	const char **items;
	size_t nparts = 1, k = 0;

	for (p = strstr(text, ", "); p; p = strstr(p + 2, ", "))
		nparts++;
	items = arena_alloc(a, nparts * sizeof(*items));
	if (!items)
		return -ENOMEM;
	p = text;
	while (*p || k == 0) {
		const char *q = strstr(p, ", "), *best = NULL, *end;

		end = q ? q : p + strlen(p);
		/* The longest run of parts from p that is an option. */
		while (options) {
			const char *stop = q ? q : p + strlen(p);

			if (is_option(col, p, (size_t)(stop - p)))
				best = stop;
			if (!q)
				break;
			q = strstr(q + 2, ", ");
		}
		if (best)
			end = best;
		items[k] = arena_strndup(a, p, (size_t)(end - p));
		if (!items[k++])
			return -ENOMEM;
		if (!*end)
			break;
		p = end + 2;
		if (!*p) { /* text ends in ", ": an empty last part */
			items[k] = arena_strdup(a, "");
			if (!items[k++])
				return -ENOMEM;
			break;
		}
	}
	v->items = items;
	v->count = (uint32_t)k;
	return 0;
}

static int from_text(const struct model_column *col, const char *text,
		     bool json_string, uint32_t line, struct arena *a,
		     struct edit_value *out, char *err)
{
	struct edit_value v = {.kind = EDIT_VAL_STRING};
	char t[EDIT_SHORT_MAX];
	uint32_t i;
	int rc;

	if (!*text) {
		*out = (struct edit_value){.kind = EDIT_VAL_EMPTY};
		return 0;
	}
	rc = check_text(col, text, line, err);
	if (rc)
		return rc;
	switch (col->type) {
	case MODEL_COL_TEXT_NUMBER:
		/* Beyond +-2^53 Smartsheet keeps no number (strict: 1148):
		 * such text goes as text, and reads back as typed. */
		if (!json_string && exact_number(text, &v.num) &&
		    fabs(v.num) <= EDIT_MAX_NUMBER)
			v.kind = EDIT_VAL_NUMBER;
		break;
	case MODEL_COL_CHECKBOX:
		if (json_string ||
		    (strcmp(text, "true") != 0 && strcmp(text, "false") != 0))
			return col_err(err, line, col,
				       "\"%s\": a checkbox takes true, false "
				       "or nothing",
				       edit_short(t, text));
		*out = (struct edit_value){.kind = EDIT_VAL_BOOL,
					   .flag = text[0] == 't'};
		return 0;
	case MODEL_COL_DATE:
		if (!is_date(text) || text[10])
			return col_err(err, line, col,
				       "\"%s\" is not a date (YYYY-MM-DD)",
				       edit_short(t, text));
		break;
	case MODEL_COL_DATETIME:
	case MODEL_COL_ABSTRACT_DATETIME:
		if (!is_datetime(text))
			return col_err(err, line, col,
				       "\"%s\" is not a date (YYYY-MM-DD) or a "
				       "time (YYYY-MM-DDTHH:MM:SS)",
				       edit_short(t, text));
		break;
	case MODEL_COL_MULTI_PICKLIST:
	case MODEL_COL_MULTI_CONTACT_LIST:
		v.kind = col->type == MODEL_COL_MULTI_PICKLIST
			     ? EDIT_VAL_PICKS
			     : EDIT_VAL_CONTACTS;
		rc = split(col, text, v.kind == EDIT_VAL_PICKS, a, &v);
		if (rc)
			return rc;
		for (i = 0; v.kind == EDIT_VAL_CONTACTS && i < v.count; i++)
			if (!strchr(v.items[i], '@'))
				return col_err(
				    err, line, col,
				    "\"%s\" is not an email (a "
				    "multi-contact cell takes emails "
				    "separated by \", \")",
				    edit_short(t, v.items[i]));
		*out = v;
		return 0;
	default:
		break;
	}
	if (v.kind == EDIT_VAL_STRING) {
		v.str = arena_strdup(a, text);
		if (!v.str)
			return -ENOMEM;
	}
	*out = v;
	return 0;
}

int edit_value_from_text(const struct model_column *col, const char *text,
			 uint32_t line, struct arena *a, struct edit_value *out,
			 char *err)
{
	return from_text(col, text, false, line, a, out, err);
}

/* An array of JSON strings, or of contact objects, from a yajl tree. */
static int from_array(const struct model_column *col, yajl_val arr,
		      uint32_t line, struct arena *a, struct edit_value *out,
		      char *err)
{
	size_t n = arr->u.array.len, i, j;
	bool contacts = col->type == MODEL_COL_MULTI_CONTACT_LIST;
	struct edit_value v = {.kind = contacts ? EDIT_VAL_CONTACTS
						: EDIT_VAL_PICKS};

	if (n == 0) {
		*out = (struct edit_value){.kind = EDIT_VAL_EMPTY};
		return 0;
	}
	if (!contacts && col->type != MODEL_COL_MULTI_PICKLIST)
		return col_err(err, line, col,
			       "an array, but only multi-picklist and "
			       "multi-contact columns take one");
	v.count = (uint32_t)n;
	v.items = arena_alloc(a, n * sizeof(*v.items));
	v.names = contacts ? arena_alloc(a, n * sizeof(*v.names)) : NULL;
	if (!v.items || (contacts && !v.names))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		yajl_val e = arr->u.array.values[i];
		const char *s = NULL;

		if (contacts)
			v.names[i] = NULL;
		if (!contacts && YAJL_IS_STRING(e)) {
			s = YAJL_GET_STRING(e);
		} else if (contacts && YAJL_IS_OBJECT(e)) {
			for (j = 0; j < e->u.object.len; j++) {
				const char *k = e->u.object.keys[j];
				yajl_val x = e->u.object.values[j];

				if (!YAJL_IS_STRING(x))
					continue;
				if (strcmp(k, "email") == 0)
					s = YAJL_GET_STRING(x);
				else if (strcmp(k, "name") == 0)
					v.names[i] = YAJL_GET_STRING(x);
			}
		}
		if (!s || (contacts && !strchr(s, '@')))
			return col_err(err, line, col,
				       contacts ? "item %zu is not a contact "
						  "with an email"
						: "item %zu is not a string",
				       i + 1);
		if (check_text(col, s, line, err) ||
		    (contacts && v.names[i] &&
		     check_text(col, v.names[i], line, err)))
			return -EINVAL;
		v.items[i] = arena_strdup(a, s);
		if (!v.items[i])
			return -ENOMEM;
		if (contacts && v.names[i]) {
			v.names[i] = arena_strdup(a, v.names[i]);
			if (!v.names[i])
				return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

/* A JSON number: a number in a TEXT_NUMBER column, else its text. */
static int from_number(const struct model_column *col, const char *r,
		       uint32_t line, struct arena *a, struct edit_value *out,
		       char *err)
{
	char buf[RENDER_NUM_MAX], t[EDIT_SHORT_MAX];
	char *end;
	double x;

	pthread_once(&c_once, make_c_locale);
	if (!c_loc)
		return -ENOMEM;
	x = strtod_l(r, &end, c_loc);
	if (*end || !isfinite(x))
		return col_err(err, line, col,
			       "%s is not a number Smartsheet "
			       "takes",
			       edit_short(t, r));
	if (col->type == MODEL_COL_CHECKBOX)
		return col_err(err, line, col,
			       "a number, but a checkbox takes true or false");
	if (col->type != MODEL_COL_TEXT_NUMBER || fabs(x) > EDIT_MAX_NUMBER) {
		(void)render_number(x, buf);
		return from_text(col, buf, false, line, a, out, err);
	}
	*out = (struct edit_value){.kind = EDIT_VAL_NUMBER, .num = x};
	return 0;
}

int edit_value_from_json(const struct model_column *col, const char *json,
			 uint32_t line, struct arena *a, struct edit_value *out,
			 char *err)
{
	char why[128];
	yajl_val j;
	int rc;

	if (!*json || strcmp(json, "null") == 0) {
		*out = (struct edit_value){.kind = EDIT_VAL_EMPTY};
		return 0;
	}
	j = yajl_tree_parse(json, why, sizeof(why));
	if (!j)
		return col_err(err, line, col, "not a JSON value");
	if (YAJL_IS_STRING(j)) {
		rc = from_text(col, YAJL_GET_STRING(j),
			       col->type == MODEL_COL_TEXT_NUMBER ||
				   col->type == MODEL_COL_CHECKBOX,
			       line, a, out, err);
	} else if (YAJL_IS_NUMBER(j)) {
		rc = from_number(col, YAJL_GET_NUMBER(j), line, a, out, err);
	} else if (YAJL_IS_TRUE(j) || YAJL_IS_FALSE(j)) {
		rc = col->type == MODEL_COL_CHECKBOX
			 ? from_text(col, YAJL_IS_TRUE(j) ? "true" : "false",
				     false, line, a, out, err)
			 : col_err(err, line, col,
				   "true or false, but only a checkbox "
				   "column takes them");
	} else if (YAJL_IS_ARRAY(j)) {
		rc = from_array(col, j, line, a, out, err);
	} else {
		rc = col_err(err, line, col, "an object is not a cell value");
	}
	yajl_tree_free(j);
	return rc;
}
