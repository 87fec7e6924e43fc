/*
 * Parsers for whole documents: a list page (GET /sheets and /reports by
 * offset, /workspaces and children lists by lastKey), the user (GET
 * /users/me), a sheet version, a whole sheet; exact int64s. Wrong shapes
 * are -EIO with a debug line. No shared state: called on the threads that
 * call api.c (FUSE and prefetch workers, the main thread).
 */
#include "api/parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/jsonwalk.h"
#include "api/model.h"
#include "api/sheet_parser.h"
#include "util/log.h"

/*
 * Why two JSON libraries: cJSON 1.7.15 keeps a number only as a double and
 * throws its digits away, so an id above 2^53 (Smartsheet ids run to 16
 * digits, and the API documents them as int64) would come back rounded.
 * Every document that carries ids is therefore read with yajl (through
 * api/jsonwalk.c, which hands over a number's digits). cJSON is used only
 * where no id is involved: the version document.
 */
#define MINI_MAX_DEPTH 64
#define MAX_VERSION ((double)((int64_t)1 << 53))

int api_parse_int64(const char *digits, size_t len, int64_t *out)
{
	return jsonwalk_parse_int64(digits, len, out);
}

/* ---- list pages and the user, on jsonwalk ---- */

enum mini_frame {
	MF_LIST = 1, /* the top object of a list page */
	MF_DATA,     /* its "data": [ */
	MF_ITEM,     /* one sheet in it */
	MF_USER,     /* the top object of the user */
};

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
	MK_PERMALINK,
	MK_RESOURCE_TYPE,
	MK_LAST_KEY,
};

static const char *const mini_key_names[] = {
	"?", "pageNumber", "totalPages", "data", "id", "name", "modifiedAt",
	"accessLevel", "version", "email", "firstName", "lastName",
	"permalink", "resourceType", "lastKey",
};

/* What a children item's resourceType made of it (else an enum model_kind). */
#define MINI_TYPE_NONE (-1) /* no resourceType yet */
#define MINI_TYPE_SKIP (-2) /* a kind not shown (sight, template, unknown) */

struct mini {
	struct jsonwalk *w;

	/* list page */
	bool typed;            /* items carry a resourceType (children) */
	enum model_kind kind;  /* the kind of items otherwise */
	bool has_page, has_total, has_data;
	int64_t page, total;
	char *last_key;
	struct model_sheet_info *items;
	size_t n, cap, seen; /* seen: items read, kept or skipped */
	struct model_sheet_info cur;
	bool cur_has_id;
	int cur_type; /* MINI_TYPE_* or an enum model_kind */

	/* user */
	bool has_id;
	int64_t id;
	char *email, *first, *last;
};

static int wrong_type(struct mini *m, enum mini_key key,
		      const struct jsonwalk_value *v, const char *want)
{
	return jsonwalk_fail(m->w, -EIO, "\"%s\" is %s, expected %s",
			     mini_key_names[key], jsonwalk_type_name(v->type),
			     want);
}

static int mstr(struct mini *m, enum mini_key key,
		const struct jsonwalk_value *v, char **out)
{
	size_t dlen;
	char *d = NULL;

	if (v->type != JSONWALK_TYPE_STRING && v->type != JSONWALK_TYPE_NULL)
		return wrong_type(m, key, v, "a string");
	if (v->type == JSONWALK_TYPE_STRING) {
		dlen = jsonwalk_text_len(v->s, v->len);
		d = malloc(dlen + 1);
		if (!d)
			return jsonwalk_fail(m->w, -ENOMEM, "out of memory");
		jsonwalk_text_copy(d, v->s, v->len, dlen);
	}
	free(*out);
	*out = d;
	return 1;
}

static int mint(struct mini *m, enum mini_key key,
		const struct jsonwalk_value *v, int64_t *out)
{
	if (v->type != JSONWALK_TYPE_NUMBER)
		return wrong_type(m, key, v, "an integer");
	if (jsonwalk_parse_int64(v->s, v->len, out))
		return jsonwalk_fail(m->w, -EIO, "\"%s\": %.*s is not an int64",
				     mini_key_names[key],
				     (int)(v->len > 40 ? 40 : v->len), v->s);
	return 1;
}

/* lastKey: opaque; a string (or a number's text); null or "" ends. */
static int last_key_value(struct mini *m, const struct jsonwalk_value *v)
{
	char *d;

	if (v->type == JSONWALK_TYPE_STRING || v->type == JSONWALK_TYPE_NULL)
		return mstr(m, MK_LAST_KEY, v, &m->last_key);
	if (v->type != JSONWALK_TYPE_NUMBER)
		return wrong_type(m, MK_LAST_KEY, v, "a string");
	d = strndup(v->s, v->len);
	if (!d)
		return jsonwalk_fail(m->w, -ENOMEM, "out of memory");
	free(m->last_key);
	m->last_key = d;
	return 1;
}

static int list_top_value(struct mini *m, int key,
			  const struct jsonwalk_value *v)
{
	switch (key) {
	case MK_LAST_KEY:
		return last_key_value(m, v);
	case MK_PAGE_NUMBER:
		m->has_page = true;
		return mint(m, MK_PAGE_NUMBER, v, &m->page);
	case MK_TOTAL_PAGES:
		m->has_total = true;
		return mint(m, MK_TOTAL_PAGES, v, &m->total);
	case MK_DATA:
		if (v->type != JSONWALK_TYPE_ARRAY)
			return wrong_type(m, MK_DATA, v, "an array");
		m->has_data = true;
		return jsonwalk_enter(m->w, MF_DATA);
	default:
		return 1; /* skipped */
	}
}

static int list_item_start(struct mini *m, const struct jsonwalk_value *v)
{
	if (v->type != JSONWALK_TYPE_MAP)
		return jsonwalk_fail(m->w, -EIO,
				     "data[%zu] is %s, not an object", m->seen,
				     jsonwalk_type_name(v->type));
	model_sheet_info_release(&m->cur);
	m->cur.version = -1;
	m->cur_has_id = false;
	m->cur_type = MINI_TYPE_NONE;
	return jsonwalk_enter(m->w, MF_ITEM);
}

/* A children item's resourceType: the kinds SPEC §7 shows; the others
 * (sight, template, and any this version does not know) are skipped. */
static int resource_type(struct mini *m, const struct jsonwalk_value *v)
{
	static const struct {
		const char *name;
		enum model_kind kind;
	} types[] = {
		{"sheet", MODEL_KIND_SHEET},
		{"report", MODEL_KIND_REPORT},
		{"folder", MODEL_KIND_FOLDER},
	};
	size_t i;

	if (v->type != JSONWALK_TYPE_STRING)
		return wrong_type(m, MK_RESOURCE_TYPE, v, "a string");
	m->cur_type = MINI_TYPE_SKIP;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (v->len == strlen(types[i].name) &&
		    memcmp(v->s, types[i].name, v->len) == 0)
			m->cur_type = (int)types[i].kind;
	return 1;
}

static int list_item_value(struct mini *m, int key,
			   const struct jsonwalk_value *v)
{
	switch (key) {
	case MK_ID:
		m->cur_has_id = true;
		return mint(m, MK_ID, v, &m->cur.id);
	case MK_NAME:
		return mstr(m, MK_NAME, v, &m->cur.name);
	case MK_MODIFIED_AT:
		return mstr(m, MK_MODIFIED_AT, v, &m->cur.modified_at);
	case MK_ACCESS_LEVEL:
		return mstr(m, MK_ACCESS_LEVEL, v, &m->cur.access_level);
	case MK_VERSION:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		return mint(m, MK_VERSION, v, &m->cur.version);
	case MK_PERMALINK:
		return mstr(m, MK_PERMALINK, v, &m->cur.permalink);
	case MK_RESOURCE_TYPE:
		return resource_type(m, v);
	default:
		return 1;
	}
}

static int user_value(struct mini *m, int key, const struct jsonwalk_value *v)
{
	switch (key) {
	case MK_ID:
		m->has_id = true;
		return mint(m, MK_ID, v, &m->id);
	case MK_EMAIL:
		return mstr(m, MK_EMAIL, v, &m->email);
	case MK_FIRST_NAME:
		return mstr(m, MK_FIRST_NAME, v, &m->first);
	case MK_LAST_NAME:
		return mstr(m, MK_LAST_NAME, v, &m->last);
	default:
		return 1;
	}
}

static int on_value(void *ctx, int frame, int key,
		    const struct jsonwalk_value *v)
{
	struct mini *m = ctx;

	switch (frame) {
	case MF_LIST:
		return list_top_value(m, key, v);
	case MF_DATA:
		return list_item_start(m, v);
	case MF_ITEM:
		return list_item_value(m, key, v);
	case MF_USER:
		return user_value(m, key, v);
	default:
		return jsonwalk_fail(m->w, -EIO, "bad state");
	}
}

static int end_item(struct mini *m)
{
	struct model_sheet_info *n;
	size_t at = m->seen++;

	if (!m->cur_has_id)
		return jsonwalk_fail(m->w, -EIO, "data[%zu] has no \"id\"",
				     at);
	m->cur.kind = m->kind;
	if (m->typed) {
		if (m->cur_type == MINI_TYPE_NONE)
			return jsonwalk_fail(m->w, -EIO,
					     "data[%zu] has no \"resourceType\"",
					     at);
		if (m->cur_type == MINI_TYPE_SKIP) {
			model_sheet_info_release(&m->cur);
			return 1;
		}
		m->cur.kind = (enum model_kind)m->cur_type;
	}
	if (!m->cur.name) {
		m->cur.name = strdup("");
		if (!m->cur.name)
			return jsonwalk_fail(m->w, -ENOMEM, "out of memory");
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		n = realloc(m->items, cap * sizeof(*n));
		if (!n)
			return jsonwalk_fail(m->w, -ENOMEM, "out of memory");
		m->items = n;
		m->cap = cap;
	}
	m->items[m->n++] = m->cur;
	memset(&m->cur, 0, sizeof(m->cur));
	return 1;
}

static int on_end(void *ctx, int frame)
{
	return frame == MF_ITEM ? end_item(ctx) : 1;
}

#define KEY(lit) (len == sizeof(lit) - 1 && memcmp(k, lit, len) == 0)

static int on_key(void *ctx, int frame, const char *k, size_t len)
{
	(void)ctx;
	switch (frame) {
	case MF_USER:
		return KEY("id")          ? MK_ID
		       : KEY("email")     ? MK_EMAIL
		       : KEY("firstName") ? MK_FIRST_NAME
		       : KEY("lastName")  ? MK_LAST_NAME
					  : MK_OTHER;
	case MF_LIST:
		return KEY("pageNumber")   ? MK_PAGE_NUMBER
		       : KEY("totalPages") ? MK_TOTAL_PAGES
		       : KEY("data")       ? MK_DATA
		       : KEY("lastKey")    ? MK_LAST_KEY
					   : MK_OTHER;
	default:
		return KEY("id")             ? MK_ID
		       : KEY("name")         ? MK_NAME
		       : KEY("modifiedAt")   ? MK_MODIFIED_AT
		       : KEY("accessLevel")  ? MK_ACCESS_LEVEL
		       : KEY("version")      ? MK_VERSION
		       : KEY("permalink")    ? MK_PERMALINK
		       : KEY("resourceType") ? MK_RESOURCE_TYPE
					     : MK_OTHER;
	}
}

#undef KEY

static const struct jsonwalk_ops list_ops = {
	.key = on_key,
	.value = on_value,
	.end = on_end,
	.root = MF_LIST,
	.name = "sheet list",
	.max_depth = MINI_MAX_DEPTH,
};

static const struct jsonwalk_ops user_ops = {
	.key = on_key,
	.value = on_value,
	.end = on_end,
	.root = MF_USER,
	.name = "user",
	.max_depth = MINI_MAX_DEPTH,
};

static void mini_release(struct mini *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		model_sheet_info_release(&m->items[i]);
	free(m->items);
	model_sheet_info_release(&m->cur);
	free(m->last_key);
	free(m->email);
	free(m->first);
	free(m->last);
	jsonwalk_free(m->w);
}

/* Walk a whole document; 0 or a negative errno. */
static int mini_parse(struct mini *m, const struct jsonwalk_ops *ops,
		      const char *json, size_t len)
{
	int rc;

	m->w = jsonwalk_new(ops, m);
	if (!m->w)
		return -ENOMEM;
	rc = jsonwalk_feed(m->w, json, len);
	if (!rc)
		rc = jsonwalk_finish(m->w);
	return rc;
}

/* Move the page's items to the end of acc. */
static int append_items(struct mini *m, struct model_sheet_list *acc)
{
	struct model_sheet_info *n;

	if (!m->n)
		return 0;
	if (acc->count > SIZE_MAX / sizeof(*n) - m->n)
		return -ENOMEM;
	n = realloc(acc->items, (acc->count + m->n) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memcpy(n + acc->count, m->items, m->n * sizeof(*n));
	acc->items = n;
	acc->count += m->n;
	m->n = 0; /* moved */
	return 0;
}

int api_parse_sheet_list_page(const char *json, size_t len,
			      struct model_sheet_list *acc, int64_t *page,
			      int64_t *total_pages)
{
	struct mini m = {0};
	int rc;

	rc = mini_parse(&m, &list_ops, json, len);
	if (rc)
		goto out;
	if (!m.has_page || !m.has_total || !m.has_data) {
		jsonwalk_fail(m.w, -EIO, "no \"%s\"",
			      !m.has_data   ? "data"
			      : !m.has_page ? "pageNumber"
					    : "totalPages");
		rc = jsonwalk_error(m.w);
		goto out;
	}
	rc = append_items(&m, acc);
	if (rc)
		goto out;
	*page = m.page;
	*total_pages = m.total;
out:
	mini_release(&m);
	return rc;
}

/* A page of a list paged by lastKey (typed: children, with resourceType). */
static int token_page(const char *json, size_t len, bool typed,
		      struct model_sheet_list *acc, char **last_key)
{
	struct mini m = {.typed = typed, .kind = MODEL_KIND_WORKSPACE};
	int rc;

	rc = mini_parse(&m, &list_ops, json, len);
	if (rc)
		goto out;
	if (!m.has_data) {
		jsonwalk_fail(m.w, -EIO, "no \"data\"");
		rc = jsonwalk_error(m.w);
		goto out;
	}
	rc = append_items(&m, acc);
	if (rc)
		goto out;
	if (m.last_key && !m.last_key[0]) {
		free(m.last_key);
		m.last_key = NULL;
	}
	*last_key = m.last_key;
	m.last_key = NULL;
out:
	mini_release(&m);
	return rc;
}

int api_parse_workspace_page(const char *json, size_t len,
			     struct model_sheet_list *acc, char **last_key)
{
	return token_page(json, len, false, acc, last_key);
}

int api_parse_children_page(const char *json, size_t len,
			    struct model_sheet_list *acc, char **last_key)
{
	return token_page(json, len, true, acc, last_key);
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
	struct mini m = {0};
	char *name = NULL;
	int rc;

	rc = mini_parse(&m, &user_ops, json, len);
	if (rc)
		goto out;
	if (!m.has_id) {
		jsonwalk_fail(m.w, -EIO, "no \"id\"");
		rc = jsonwalk_error(m.w);
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
