/*
 * The pure half of row writes (api/rows.h): Smartsheet's Result answer to
 * an add, update or delete read on jsonwalk (ids exact to INT64_MAX; cJSON
 * would round them past 2^53), and the errno of a failed write. No state:
 * any thread calls them (api/rows.c, unit tests, fuzzing).
 */
#include "api/rows.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonwalk.h"

#define ROWS_MAX_DEPTH 64
/* A DELETE answers the ids of the rows given and of all their children:
 * never more than a sheet's rows. */
#define ROWS_MAX_IDS 1000000

enum rows_frame {
	RF_ROOT = 1, /* the Result object */
	RF_RESULT,   /* its "result": [ */
	RF_ROW,	     /* one row in it (ADD, UPDATE) */
};

enum rows_key {
	RK_OTHER = 0,
	RK_RESULT_CODE,
	RK_VERSION,
	RK_RESULT,
	RK_ID,
};

struct rows_walk {
	struct jsonwalk *w;
	enum api_rows_op op;
	bool has_result, row_has_id;
	int64_t code, version, row_id;
	int64_t *ids;
	size_t n, cap;
};

static int push_id(struct rows_walk *p, int64_t id)
{
	int64_t *n;
	size_t cap;

	if (p->n == p->cap) {
		if (p->cap >= ROWS_MAX_IDS)
			return jsonwalk_fail(p->w, -EIO, "more than %d rows",
					     ROWS_MAX_IDS);
		cap = p->cap ? p->cap * 2 : 16;
		n = realloc(p->ids, cap * sizeof(*n));
		if (!n)
			return jsonwalk_fail(p->w, -ENOMEM, "out of memory");
		p->ids = n;
		p->cap = cap;
	}
	p->ids[p->n++] = id;
	return 1;
}

static int int_value(struct rows_walk *p, const char *name,
		     const struct jsonwalk_value *v, int64_t *out)
{
	if (v->type != JSONWALK_TYPE_NUMBER)
		return jsonwalk_fail(p->w, -EIO, "\"%s\" is %s, not an integer",
				     name, jsonwalk_type_name(v->type));
	if (jsonwalk_parse_int64(v->s, v->len, out))
		return jsonwalk_fail(p->w, -EIO, "\"%s\": %.*s is not an int64",
				     name, (int)(v->len > 40 ? 40 : v->len),
				     v->s);
	return 1;
}

/* A row of "result" (or "result" itself, one row for a one-row body). */
static int row_start(struct rows_walk *p, const struct jsonwalk_value *v)
{
	if (p->op == API_ROWS_DELETE) {
		if (v->type != JSONWALK_TYPE_NUMBER)
			return jsonwalk_fail(p->w, -EIO,
					     "result[%zu] is %s, not a row id",
					     p->n, jsonwalk_type_name(v->type));
		if (!int_value(p, "result[]", v, &p->row_id))
			return 0;
		return push_id(p, p->row_id);
	}
	if (v->type != JSONWALK_TYPE_MAP)
		return jsonwalk_fail(p->w, -EIO, "result[%zu] is %s, not a row",
				     p->n, jsonwalk_type_name(v->type));
	p->row_has_id = false;
	return jsonwalk_enter(p->w, RF_ROW);
}

static int root_value(struct rows_walk *p, int key,
		      const struct jsonwalk_value *v)
{
	switch (key) {
	case RK_RESULT_CODE:
		return int_value(p, "resultCode", v, &p->code);
	case RK_VERSION:
		if (v->type == JSONWALK_TYPE_NULL)
			return 1;
		return int_value(p, "version", v, &p->version);
	case RK_RESULT:
		if (p->has_result)
			return jsonwalk_fail(p->w, -EIO, "two \"result\"");
		p->has_result = true;
		if (v->type == JSONWALK_TYPE_ARRAY)
			return jsonwalk_enter(p->w, RF_RESULT);
		if (v->type == JSONWALK_TYPE_MAP && p->op != API_ROWS_DELETE)
			return row_start(p, v);
		return jsonwalk_fail(p->w, -EIO, "\"result\" is %s",
				     jsonwalk_type_name(v->type));
	default:
		return 1;
	}
}

static int on_value(void *ctx, int frame, int key,
		    const struct jsonwalk_value *v)
{
	struct rows_walk *p = ctx;

	switch (frame) {
	case RF_ROOT:
		return root_value(p, key, v);
	case RF_RESULT:
		return row_start(p, v);
	case RF_ROW:
		if (key != RK_ID)
			return 1;
		if (p->row_has_id)
			return jsonwalk_fail(p->w, -EIO, "a row with two ids");
		p->row_has_id = true;
		return int_value(p, "id", v, &p->row_id);
	default:
		return jsonwalk_fail(p->w, -EIO, "bad state");
	}
}

static int on_end(void *ctx, int frame)
{
	struct rows_walk *p = ctx;

	if (frame != RF_ROW)
		return 1;
	if (!p->row_has_id)
		return jsonwalk_fail(p->w, -EIO, "result[%zu] has no \"id\"",
				     p->n);
	return push_id(p, p->row_id);
}

#define KEY(lit) (len == sizeof(lit) - 1 && memcmp(k, lit, len) == 0)

static int on_key(void *ctx, int frame, const char *k, size_t len)
{
	(void)ctx;
	if (frame == RF_ROW)
		return KEY("id") ? RK_ID : RK_OTHER;
	return KEY("resultCode") ? RK_RESULT_CODE
	       : KEY("version")  ? RK_VERSION
	       : KEY("result")   ? RK_RESULT
				 : RK_OTHER;
}

#undef KEY

static const struct jsonwalk_ops rows_ops = {
	.key = on_key,
	.value = on_value,
	.end = on_end,
	.root = RF_ROOT,
	.name = "rows result",
	.max_depth = ROWS_MAX_DEPTH,
};

int api_rows_parse_answer(enum api_rows_op op, const char *json, size_t len,
			  struct api_rows_answer *ans)
{
	struct rows_walk p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.op = op;
	p.w = jsonwalk_new(&rows_ops, &p);
	if (!p.w)
		return -ENOMEM;
	rc = jsonwalk_feed(p.w, json, len);
	if (!rc)
		rc = jsonwalk_finish(p.w);
	if (!rc && !p.has_result) {
		jsonwalk_fail(p.w, -EIO, "no \"result\"");
		rc = -EIO;
	}
	if (!rc && (p.code < 0 || p.code > INT_MAX)) {
		jsonwalk_fail(p.w, -EIO, "resultCode %lld", (long long)p.code);
		rc = -EIO;
	}
	if (rc)
		goto out;
	memset(ans, 0, sizeof(*ans));
	ans->version = p.version;
	ans->ids = p.ids;
	ans->nids = p.n;
	ans->result_code = (int)p.code;
	p.ids = NULL;
out:
	free(p.ids);
	jsonwalk_free(p.w);
	return rc;
}

int api_rows_errno(int rc, long status, int error_code, bool maybe_applied)
{
	if (!rc)
		return 0;
	if (maybe_applied)
		return rc == -ETIMEDOUT ? -ETIMEDOUT : -EIO;
	/* Whatever the status it came with: the sheet was busy with another
	 * write of this token through every retry. Nothing was applied. */
	if (error_code == 4004)
		return -EBUSY;
	switch (status) {
	case 0:
		return rc; /* no answer: the transport's (or our own) errno */
	case 400:
		/* "The token provided has previously been revoked." */
		return error_code == 1132 ? -EACCES : -EINVAL;
	case 401:
		return -EACCES;
	case 403:
		/* A locked column (1039), row (1050), or row among those to
		 * delete (1092): the edit is refused, not the file. */
		if (error_code == 1039 || error_code == 1050 ||
		    error_code == 1092)
			return -EINVAL;
		return -EACCES;
	case 404:
		return -ENOENT;
	default:
		/* 429 and 5xx after retries, 405, 410, 414, a 2xx that failed
		 * without being sent (cannot happen), anything else. */
		return -EIO;
	}
}
