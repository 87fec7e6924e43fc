/*
 * Parsers for the small documents: a sheet list page (GET /sheets), the
 * current user (GET /users/me) and a sheet version, plus exact int64s.
 *
 * Why two JSON libraries: cJSON 1.7.15 keeps a number only as a double and
 * throws its digits away, so an id above 2^53 (Smartsheet ids run to 16
 * digits, and the API documents them as int64) would come back rounded.
 * Every document that carries ids is therefore read with yajl, whose number
 * callback hands over the digits (api_parse_int64 makes them exact). cJSON
 * is used only where no id is involved: the version document.
 */
#include "api/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yajl/yajl_parse.h>

#include "util/log.h"

#define MINI_MAX_DEPTH 64
#define MAX_VERSION ((double)((int64_t)1 << 53))

int api_parse_int64(const char *digits, size_t len, int64_t *out)
{
	uint64_t v = 0, limit = INT64_MAX;
	size_t i = 0;
	bool neg = false;

	if (len > 0 && digits[0] == '-') {
		neg = true;
		limit = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i >= len)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned d = (unsigned char)digits[i] - (unsigned)'0';

		if (d > 9)
			return -EINVAL;
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)v;
	return 0;
}

/* ---- the small yajl reader for list pages and the user ---- */

enum mini_doc { MINI_LIST, MINI_USER };

enum mini_key {
	MK_OTHER = 0,
	MK_PAGE_NUMBER,
	MK_TOTAL_PAGES,
	MK_DATA,
	MK_ID,
	MK_NAME,
	MK_MODIFIED_AT,
	MK_ACCESS_LEVEL,
	MK_VERSION,
	MK_EMAIL,
	MK_FIRST_NAME,
	MK_LAST_NAME,
};

static const char *const mini_key_names[] = {
	"?", "pageNumber", "totalPages", "data", "id", "name", "modifiedAt",
	"accessLevel", "version", "email", "firstName", "lastName",
};

enum mini_jt { MJ_NULL, MJ_BOOL, MJ_NUM, MJ_STR, MJ_MAP, MJ_ARR };

static const char *const mini_jt_names[] = {
	"null", "a boolean", "a number", "a string", "an object", "an array",
};

struct mini {
	enum mini_doc doc;
	int err;
	/* 0: before the top object, 1: in it, 2: in "data", 3: in an item */
	int level;
	int skip;          /* containers open inside a skipped value */
	enum mini_key key; /* the key of the value that comes next */
	bool done;

	/* list page */
	bool has_page, has_total, has_data;
	int64_t page, total;
	struct model_sheet_info *items;
	size_t n, cap;
	struct model_sheet_info cur;
	bool cur_has_id;

	/* user */
	bool has_id;
	int64_t id;
	char *email, *first, *last;
};

static int mfail(struct mini *m, int err, const char *fmt, ...)
	SSFS_PRINTF(3, 4);

static int mfail(struct mini *m, int err, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (m->err)
		return 0;
	m->err = err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("%s JSON: %s", m->doc == MINI_LIST ? "sheet list" : "user",
		  msg);
	return 0;
}

/* A malloc'd copy; \u0000 and lone surrogates become U+FFFD. */
static char *dup_text(const char *s, size_t len)
{
	static const char repl[] = "\xEF\xBF\xBD";
	size_t nul = 0, i, o;
	char *d;

	for (i = 0; i < len; i++)
		nul += s[i] == '\0';
	d = malloc(len + 2 * nul + 1);
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
	for (i = 0; i + 2 < o; i++) {
		if ((unsigned char)d[i] == 0xED &&
		    ((unsigned char)d[i + 1] & 0xE0) == 0xA0) {
			memcpy(d + i, repl, 3);
			i += 2;
		}
	}
	return d;
}

static int mstr(struct mini *m, enum mini_jt t, const char *s, size_t len,
		char **out)
{
	char *d = NULL;

	if (t != MJ_STR && t != MJ_NULL)
		return mfail(m, -EIO, "\"%s\" is %s, expected a string",
			     mini_key_names[m->key], mini_jt_names[t]);
	if (t == MJ_STR) {
		d = dup_text(s, len);
		if (!d)
			return mfail(m, -ENOMEM, "out of memory");
	}
	free(*out);
	*out = d;
	return 1;
}

static int mint(struct mini *m, enum mini_jt t, const char *s, size_t len,
		int64_t *out)
{
	int rc;

	if (t != MJ_NUM)
		return mfail(m, -EIO, "\"%s\" is %s, expected an integer",
			     mini_key_names[m->key], mini_jt_names[t]);
	rc = api_parse_int64(s, len, out);
	if (rc)
		return mfail(m, -EIO, "\"%s\": %.*s is not an int64",
			     mini_key_names[m->key],
			     (int)(len > 40 ? 40 : len), s);
	return 1;
}

static int mskip(struct mini *m, enum mini_jt t)
{
	if (t != MJ_MAP && t != MJ_ARR)
		return 1;
	if (m->level + m->skip >= MINI_MAX_DEPTH)
		return mfail(m, -EIO, "nested deeper than %d", MINI_MAX_DEPTH);
	m->skip = 1;
	return 1;
}

static int list_top_value(struct mini *m, enum mini_jt t, const char *s,
			  size_t len)
{
	switch (m->key) {
	case MK_PAGE_NUMBER:
		m->has_page = true;
		return mint(m, t, s, len, &m->page);
	case MK_TOTAL_PAGES:
		m->has_total = true;
		return mint(m, t, s, len, &m->total);
	case MK_DATA:
		if (t != MJ_ARR)
			return mfail(m, -EIO,
				     "\"data\" is %s, expected an array",
				     mini_jt_names[t]);
		m->has_data = true;
		m->level = 2;
		return 1;
	default:
		return mskip(m, t);
	}
}

static int list_item_value(struct mini *m, enum mini_jt t, const char *s,
			   size_t len)
{
	switch (m->key) {
	case MK_ID:
		m->cur_has_id = true;
		return mint(m, t, s, len, &m->cur.id);
	case MK_NAME:
		return mstr(m, t, s, len, &m->cur.name);
	case MK_MODIFIED_AT:
		return mstr(m, t, s, len, &m->cur.modified_at);
	case MK_ACCESS_LEVEL:
		return mstr(m, t, s, len, &m->cur.access_level);
	case MK_VERSION:
		if (t == MJ_NULL)
			return 1;
		return mint(m, t, s, len, &m->cur.version);
	default:
		return mskip(m, t);
	}
}

static int user_value(struct mini *m, enum mini_jt t, const char *s,
		      size_t len)
{
	switch (m->key) {
	case MK_ID:
		m->has_id = true;
		return mint(m, t, s, len, &m->id);
	case MK_EMAIL:
		return mstr(m, t, s, len, &m->email);
	case MK_FIRST_NAME:
		return mstr(m, t, s, len, &m->first);
	case MK_LAST_NAME:
		return mstr(m, t, s, len, &m->last);
	default:
		return mskip(m, t);
	}
}

static void info_release(struct model_sheet_info *i)
{
	free(i->name);
	free(i->modified_at);
	free(i->access_level);
	memset(i, 0, sizeof(*i));
}

static int mvalue(struct mini *m, enum mini_jt t, const char *s, size_t len)
{
	if (m->skip) {
		if (t == MJ_MAP || t == MJ_ARR) {
			if (m->level + m->skip >= MINI_MAX_DEPTH)
				return mfail(m, -EIO, "nested deeper than %d",
					     MINI_MAX_DEPTH);
			m->skip++;
		}
		return 1;
	}
	switch (m->level) {
	case 0:
		if (t != MJ_MAP)
			return mfail(m, -EIO, "top level is %s, not an object",
				     mini_jt_names[t]);
		m->level = 1;
		return 1;
	case 1:
		if (m->doc == MINI_USER)
			return user_value(m, t, s, len);
		return list_top_value(m, t, s, len);
	case 2:
		if (t != MJ_MAP)
			return mfail(m, -EIO, "data[%zu] is %s, not an object",
				     m->n, mini_jt_names[t]);
		info_release(&m->cur);
		m->cur.version = -1;
		m->cur_has_id = false;
		m->level = 3;
		return 1;
	default:
		return list_item_value(m, t, s, len);
	}
}

static int end_item(struct mini *m)
{
	struct model_sheet_info *n;

	if (!m->cur_has_id)
		return mfail(m, -EIO, "data[%zu] has no \"id\"", m->n);
	if (!m->cur.name) {
		m->cur.name = strdup("");
		if (!m->cur.name)
			return mfail(m, -ENOMEM, "out of memory");
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		n = realloc(m->items, cap * sizeof(*n));
		if (!n)
			return mfail(m, -ENOMEM, "out of memory");
		m->items = n;
		m->cap = cap;
	}
	m->items[m->n++] = m->cur;
	memset(&m->cur, 0, sizeof(m->cur));
	return 1;
}

static int mc_end(void *ctx)
{
	struct mini *m = ctx;

	if (m->skip) {
		m->skip--;
		return 1;
	}
	switch (m->level) {
	case 3:
		m->level = 2;
		return end_item(m);
	case 2:
		m->level = 1;
		return 1;
	case 1:
		m->level = 0;
		m->done = true;
		return 1;
	default:
		return mfail(m, -EIO, "bad state");
	}
}

static int mc_null(void *ctx)
{
	return mvalue(ctx, MJ_NULL, NULL, 0);
}

static int mc_boolean(void *ctx, int b)
{
	(void)b;
	return mvalue(ctx, MJ_BOOL, NULL, 0);
}

static int mc_number(void *ctx, const char *s, size_t len)
{
	return mvalue(ctx, MJ_NUM, s, len);
}

static int mc_string(void *ctx, const unsigned char *s, size_t len)
{
	return mvalue(ctx, MJ_STR, (const char *)s, len);
}

static int mc_start_map(void *ctx)
{
	return mvalue(ctx, MJ_MAP, NULL, 0);
}

static int mc_start_array(void *ctx)
{
	return mvalue(ctx, MJ_ARR, NULL, 0);
}

#define KEY(lit) (len == sizeof(lit) - 1 && memcmp(k, lit, len) == 0)

static int mc_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct mini *m = ctx;
	const char *k = (const char *)key;

	if (m->skip)
		return 1;
	if (m->doc == MINI_USER)
		m->key = KEY("id")          ? MK_ID
			 : KEY("email")     ? MK_EMAIL
			 : KEY("firstName") ? MK_FIRST_NAME
			 : KEY("lastName")  ? MK_LAST_NAME
					    : MK_OTHER;
	else if (m->level == 1)
		m->key = KEY("pageNumber")   ? MK_PAGE_NUMBER
			 : KEY("totalPages") ? MK_TOTAL_PAGES
			 : KEY("data")       ? MK_DATA
					     : MK_OTHER;
	else
		m->key = KEY("id")            ? MK_ID
			 : KEY("name")        ? MK_NAME
			 : KEY("modifiedAt")  ? MK_MODIFIED_AT
			 : KEY("accessLevel") ? MK_ACCESS_LEVEL
			 : KEY("version")     ? MK_VERSION
					      : MK_OTHER;
	return 1;
}

#undef KEY

static const yajl_callbacks mini_callbacks = {
	.yajl_null = mc_null,
	.yajl_boolean = mc_boolean,
	.yajl_number = mc_number,
	.yajl_string = mc_string,
	.yajl_start_map = mc_start_map,
	.yajl_map_key = mc_map_key,
	.yajl_end_map = mc_end,
	.yajl_start_array = mc_start_array,
	.yajl_end_array = mc_end,
};

static void mini_release(struct mini *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		info_release(&m->items[i]);
	free(m->items);
	info_release(&m->cur);
	free(m->email);
	free(m->first);
	free(m->last);
}

/* Run the reader over a whole document; 0 or a negative errno. */
static int mini_parse(struct mini *m, const char *json, size_t len)
{
	yajl_handle h = yajl_alloc(&mini_callbacks, NULL, m);
	yajl_status st;
	unsigned char *msg;

	if (!h)
		return -ENOMEM;
	st = yajl_parse(h, (const unsigned char *)json, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && !m->err) {
		msg = yajl_get_error(h, 0, NULL, 0);
		if (msg)
			msg[strcspn((char *)msg, "\n")] = '\0';
		mfail(m, -EIO, "%s", msg ? (const char *)msg : "parse error");
		if (msg)
			yajl_free_error(h, msg);
	}
	yajl_free(h);
	if (!m->err && !m->done)
		mfail(m, -EIO, "incomplete document");
	return m->err;
}

int api_parse_sheet_list_page(const char *json, size_t len,
			      struct model_sheet_list *acc, int64_t *page,
			      int64_t *total_pages)
{
	struct mini m = {.doc = MINI_LIST};
	struct model_sheet_info *n;
	int rc;

	rc = mini_parse(&m, json, len);
	if (rc)
		goto out;
	if (!m.has_page || !m.has_total || !m.has_data) {
		mfail(&m, -EIO, "no \"%s\"",
		      !m.has_data ? "data"
		      : !m.has_page ? "pageNumber" : "totalPages");
		rc = m.err;
		goto out;
	}
	if (m.n) {
		if (acc->count > SIZE_MAX / sizeof(*n) - m.n) {
			rc = -ENOMEM;
			goto out;
		}
		n = realloc(acc->items, (acc->count + m.n) * sizeof(*n));
		if (!n) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(n + acc->count, m.items, m.n * sizeof(*n));
		acc->items = n;
		acc->count += m.n;
		m.n = 0; /* moved */
	}
	*page = m.page;
	*total_pages = m.total;
out:
	mini_release(&m);
	return rc;
}

/* "First Last", either alone, or NULL; *out untouched on -ENOMEM. */
static int join_name(const char *first, const char *last, char **out)
{
	size_t a = first ? strlen(first) : 0, b = last ? strlen(last) : 0;
	char *s;

	if (!a && !b) {
		*out = NULL;
		return 0;
	}
	s = malloc(a + b + 2);
	if (!s)
		return -ENOMEM;
	if (a)
		memcpy(s, first, a);
	if (a && b)
		s[a++] = ' ';
	if (b)
		memcpy(s + a, last, b);
	s[a + b] = '\0';
	*out = s;
	return 0;
}

int api_parse_user(const char *json, size_t len, struct model_user *out)
{
	struct mini m = {.doc = MINI_USER};
	char *name = NULL;
	int rc;

	rc = mini_parse(&m, json, len);
	if (rc)
		goto out;
	if (!m.has_id) {
		mfail(&m, -EIO, "no \"id\"");
		rc = m.err;
		goto out;
	}
	rc = join_name(m.first, m.last, &name);
	if (rc)
		goto out;
	out->id = m.id;
	out->email = m.email;
	out->name = name;
	m.email = NULL;
out:
	mini_release(&m);
	return rc;
}

int api_parse_version(const char *json, size_t len, int64_t *version)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *v;
	int rc = -EIO;

	if (!root) {
		log_debug("version JSON: parse error");
		goto out;
	}
	v = cJSON_IsObject(root)
		    ? cJSON_GetObjectItemCaseSensitive(root, "version")
		    : NULL;
	if (!v || !cJSON_IsNumber(v)) {
		log_debug("version JSON: no numeric \"version\"");
		goto out;
	}
	/* A version counts edits: an integer well below 2^53. */
	if (!(v->valuedouble >= 0 && v->valuedouble <= MAX_VERSION) ||
	    v->valuedouble != (double)(int64_t)v->valuedouble) {
		log_debug("version JSON: \"version\" is not a count");
		goto out;
	}
	*version = (int64_t)v->valuedouble;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
