/*
 * api/rows.h without a server: the Result answers (SDK scenario bodies and
 * odd ones), the errno of every kind of failure, the request bodies refused
 * before anything is sent, and whether the credential may write.
 */
#include "api/rows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api/api.h"
#include "auth/auth.h"
#include "auth/store.h"
#include "config/config.h"
#include "http/http.h"
#include "tests/unit/testlib.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/sbuf.h"

/* ---- the answers ---- */

/* "Add Rows - Assign Values - String" and "Update Rows - Clear Value -
 * Predecessor List" of the SDK scenarios, as Smartsheet's mock answers. */
static const char scenario_add[] =
    "{\"message\": \"SUCCESS\", \"resultCode\": 0, \"result\": [{\"id\": 10, "
    "\"rowNumber\": 1, \"expanded\": true, \"createdAt\": "
    "\"2017-10-17T23:16:08Z\", \"modifiedAt\": \"2017-10-17T23:20:18Z\", "
    "\"cells\": [{\"columnId\": 101, \"value\": \"Apple\", \"displayValue\": "
    "\"Apple\"}, {\"columnId\": 102, \"value\": \"Red Fruit\", "
    "\"displayValue\": \"Red Fruit\"}]}, {\"id\": 11, \"rowNumber\": 2, "
    "\"expanded\": true, \"createdAt\": \"2017-10-17T23:16:08Z\", "
    "\"modifiedAt\": \"2017-10-17T23:20:18Z\", \"cells\": [{\"columnId\": "
    "101, \"value\": \"Banana\", \"displayValue\": \"Banana\"}, "
    "{\"columnId\": 102, \"value\": \"Yellow Fruit\", \"displayValue\": "
    "\"Yellow Fruit\"}]}], \"version\": 7}";
static const char scenario_update[] =
    "{\"message\": \"SUCCESS\", \"resultCode\": 0, \"result\": [{\"id\": 10, "
    "\"rowNumber\": 1, \"siblingId\": 234, \"expanded\": true, "
    "\"createdAt\": \"2017-11-14T21:35:00Z\", \"modifiedAt\": "
    "\"2018-02-17T16:37:44Z\", \"cells\": [{\"columnId\": 123}]}], "
    "\"version\": 2}";

static void test_rows_parse_answers(void)
{
	static const struct {
		enum api_rows_op op;
		const char *json;
		int64_t version;
		int code;
		size_t n;
		int64_t ids[3];
	} t[] = {
	    {API_ROWS_ADD, scenario_add, 7, 0, 2, {10, 11}},
	    {API_ROWS_UPDATE, scenario_update, 2, 0, 1, {10}},
	    /* DELETE: the ids deleted, children too. */
	    {API_ROWS_DELETE,
	     "{\"message\":\"SUCCESS\",\"resultCode\":0,\"version\":9,"
	     "\"result\":[3,1,2]}",
	     9,
	     0,
	     3,
	     {3, 1, 2}},
	    {API_ROWS_DELETE, "{\"result\":[],\"version\":null}", 0, 0, 0, {0}},
	    /* Exact ids past 2^53; no version: 0. */
	    {API_ROWS_ADD,
	     "{\"result\":[{\"id\":9007199254740993},"
	     "{\"id\":9223372036854775807,\"parentId\":1.5}]}",
	     0,
	     0,
	     2,
	     {9007199254740993LL, INT64_MAX}},
	    /* One row answered as an object (a body of one Row object). */
	    {API_ROWS_UPDATE,
	     "{\"result\":{\"id\":4},\"version\":3}",
	     3,
	     0,
	     1,
	     {4}},
	    {API_ROWS_ADD,
	     "{\"message\":\"PARTIAL_SUCCESS\",\"resultCode\":3,"
	     "\"result\":[{\"id\":1}],\"failedItems\":[{\"index\":1,"
	     "\"error\":{\"errorCode\":1036}}]}",
	     0,
	     3,
	     1,
	     {1}},
	};
	struct api_rows_answer ans;
	size_t i, j;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		memset(&ans, 0x5a, sizeof(ans));
		CHECK_INT(api_rows_parse_answer(t[i].op, t[i].json,
						strlen(t[i].json), &ans),
			  0);
		CHECK_INT(ans.version, t[i].version);
		CHECK_INT(ans.result_code, t[i].code);
		CHECK(!ans.maybe_applied);
		CHECK_INT(ans.nids, t[i].n);
		for (j = 0; j < ans.nids && j < t[i].n; j++)
			CHECK(ans.ids[j] == t[i].ids[j]);
		if (ans.nids != t[i].n)
			fprintf(stderr, "  case %zu: %s\n", i, t[i].json);
		api_rows_answer_release(&ans);
	}
	api_rows_answer_release(NULL);
}

/* Answers of another shape: -EIO, *ans untouched. */
static void test_rows_parse_wrong_shapes(void)
{
	static const struct {
		enum api_rows_op op;
		const char *json;
	} t[] = {
	    {API_ROWS_ADD, ""},
	    {API_ROWS_ADD, "not json"},
	    {API_ROWS_ADD, "[{\"id\":1}]"},
	    {API_ROWS_ADD, "{\"message\":\"SUCCESS\"}"},
	    {API_ROWS_ADD, "{\"result\":[{\"rowNumber\":1}]}"},
	    {API_ROWS_ADD, "{\"result\":[{\"id\":\"10\"}]}"},
	    {API_ROWS_ADD, "{\"result\":[{\"id\":1.5}]}"},
	    {API_ROWS_ADD, "{\"result\":[{\"id\":1,\"id\":2}]}"},
	    {API_ROWS_ADD, "{\"result\":[{\"id\":99999999999999999999}]}"},
	    {API_ROWS_ADD, "{\"result\":[1,2]}"},
	    {API_ROWS_ADD, "{\"result\":[],\"result\":[]}"},
	    {API_ROWS_DELETE, "{\"result\":[{\"id\":1}]}"},
	    {API_ROWS_DELETE, "{\"result\":{\"id\":1}}"},
	    {API_ROWS_DELETE, "{\"result\":\"1,2\"}"},
	    {API_ROWS_DELETE, "{\"result\":[1],\"version\":\"9\"}"},
	    {API_ROWS_DELETE, "{\"result\":[1],\"resultCode\":-1}"},
	    {API_ROWS_DELETE, "{\"result\":[1]"},
	    {API_ROWS_DELETE, "{\"result\":[1]} x"},
	};
	struct api_rows_answer ans;
	size_t i;
	int rc;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		memset(&ans, 0x5a, sizeof(ans));
		rc = api_rows_parse_answer(t[i].op, t[i].json,
					   strlen(t[i].json), &ans);
		if (rc != -EIO)
			fprintf(stderr, "  case %zu: %s\n", i, t[i].json);
		CHECK_INT(rc, -EIO);
		CHECK_INT(ans.nids, 0x5a5a5a5a5a5a5a5aULL);
	}
}

/* A DELETE of many parents answers many more ids than it sent. */
static void test_rows_parse_many_ids(void)
{
	struct sbuf sb = SBUF_INIT(0);
	struct api_rows_answer ans;
	int i, rc = sbuf_addstr(&sb, "{\"result\":[");

	for (i = 0; i < 20000; i++)
		rc |= sbuf_addf(&sb, "%s%d", i ? "," : "", i + 1);
	rc |= sbuf_addstr(&sb, "],\"version\":12}");
	CHECK_INT(rc, 0);
	CHECK_INT(api_rows_parse_answer(API_ROWS_DELETE, sb.buf, sb.len, &ans),
		  0);
	CHECK_INT(ans.nids, 20000);
	if (ans.nids == 20000)
		CHECK_INT(ans.ids[19999], 20000);
	api_rows_answer_release(&ans);
	sbuf_release(&sb);
}

/* ---- errno ---- */

static void test_rows_errno(void)
{
	static const struct {
		int rc;
		long status;
		int code;
		bool maybe;
		int want;
	} t[] = {
	    {0, 200, 0, false, 0},
	    /* Refused as written. */
	    {-EINVAL, 400, 1042, false, -EINVAL},
	    {-EINVAL, 400, 1046, false, -EINVAL},
	    {-EINVAL, 400, 1302, false, -EINVAL},
	    {-EINVAL, 400, 1123, false, -EINVAL},
	    {-EINVAL, 400, 1062, false, -EINVAL},
	    {-EINVAL, 400, 1063, false, -EINVAL},
	    {-EINVAL, 400, 1064, false, -EINVAL},
	    {-EINVAL, 400, 1008, false, -EINVAL},
	    {-EINVAL, 400, 1012, false, -EINVAL},
	    {-EINVAL, 400, 1036, false, -EINVAL},
	    {-EIO, 400, 0, false, -EINVAL},
	    {-EACCES, 403, 1039, false, -EINVAL},
	    {-EACCES, 403, 1050, false, -EINVAL},
	    {-EACCES, 403, 1092, false, -EINVAL},
	    /* No right to write. */
	    {-EACCES, 403, 1004, false, -EACCES},
	    {-EACCES, 403, 1013, false, -EACCES},
	    {-EACCES, 401, 1002, false, -EACCES},
	    {-EINVAL, 400, 1132, false, -EACCES},
	    {-EACCES, 0, 0, false, -EACCES}, /* no credential at all */
	    /* Not there. */
	    {-ENOENT, 404, 1006, false, -ENOENT},
	    /* Busy through every retry; nothing applied. */
	    {-EIO, 500, 4004, false, -EBUSY},
	    /* Server and network. */
	    {-EIO, 429, 4003, false, -EIO},
	    {-EIO, 503, 4001, false, -EIO},
	    {-EIO, 500, 4000, false, -EIO},
	    {-EIO, 410, 4005, false, -EIO},
	    {-EIO, 405, 1122, false, -EIO},
	    {-EIO, 414, 0, false, -EIO},
	    {-EIO, 0, 0, false, -EIO},
	    {-ETIMEDOUT, 0, 0, false, -ETIMEDOUT},
	    {-ENOMEM, 0, 0, false, -ENOMEM},
	    {-EINVAL, 0, 0, false, -EINVAL}, /* refused before sending */
	    /* Unknown outcome: EIO or ETIMEDOUT, whatever came after. */
	    {-EIO, 0, 0, true, -EIO},
	    {-ETIMEDOUT, 0, 0, true, -ETIMEDOUT},
	    {-EIO, 200, 0, true, -EIO},
	    {-EIO, 500, 4000, true, -EIO},
	    {-ENOENT, 404, 1006, true, -EIO},
	    {-EIO, 500, 4004, true, -EIO},
	    {-EINVAL, 400, 1042, true, -EIO},
	};
	size_t i;
	int got;

	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		got =
		    api_rows_errno(t[i].rc, t[i].status, t[i].code, t[i].maybe);
		if (got != t[i].want)
			fprintf(stderr, "  case %zu: %ld %d\n", i, t[i].status,
				t[i].code);
		CHECK_INT(got, t[i].want);
	}
}

/* ---- bodies refused before sending ---- */

static void test_rows_bodies_refused(void)
{
	static const struct {
		enum api_rows_op op;
		const char *body;
	} t[] = {
	    {API_ROWS_ADD, ""},
	    {API_ROWS_ADD, "{\"cells\":[]}"},
	    {API_ROWS_ADD, "[]"},
	    {API_ROWS_ADD, "[1]"},
	    {API_ROWS_ADD, "[{\"cells\":[]}"},
	    {API_ROWS_UPDATE, "[{\"cells\":[]}]"},
	    {API_ROWS_UPDATE, "[{\"id\":\"1\"}]"},
	    {API_ROWS_DELETE, ""},
	    {API_ROWS_DELETE, "ignoreRowsNotFound=false"},
	    {API_ROWS_DELETE, "ids="},
	    {API_ROWS_DELETE, "ids=1,,2"},
	    {API_ROWS_DELETE, "ids=1,"},
	    {API_ROWS_DELETE, "ids=a"},
	    {API_ROWS_DELETE, "ids=1 2"},
	    {API_ROWS_DELETE, "ids=1%2C2"},
	    {API_ROWS_DELETE, "ids=1&x=\n"},
	    {API_ROWS_DELETE, "ids=1#"},
	};
	struct http_opts o = {.timeout_s = 5};
	struct http *h = http_new(&o);
	struct auth *tok = auth_new_token("test-token-0123456789");
	struct api *a =
	    h && tok ? api_new("http://127.0.0.1:9/2.0", h, tok) : NULL;
	struct sbuf big = SBUF_INIT(0);
	struct api_rows_answer ans;
	struct api_result res;
	size_t i;
	int j, rc = 0;

	CHECK(a != NULL);
	if (!a)
		goto out;
	for (i = 0; i < SSFS_ARRAY_SIZE(t); i++) {
		memset(&res, 0, sizeof(res));
		CHECK_INT(api_rows_write(a, 7, t[i].op, t[i].body,
					 strlen(t[i].body), &ans, &res),
			  -EINVAL);
		CHECK(res.message[0] != '\0');
		CHECK(!ans.maybe_applied && !ans.ids);
	}
	CHECK_INT(api_rows_write(a, 0, API_ROWS_ADD, "[{}]", 4, &ans, &res),
		  -EINVAL);
	CHECK_INT(
	    api_rows_write(a, 7, (enum api_rows_op)3, "[{}]", 4, &ans, &res),
	    -EINVAL);
	CHECK_STR(res.message, "not a row operation");
	CHECK_INT(api_rows_write(a, 7, API_ROWS_ADD, NULL, 0, &ans, NULL),
		  -EINVAL);
	/* A NUL inside the DELETE query. */
	CHECK_INT(
	    api_rows_write(a, 7, API_ROWS_DELETE, "ids=1\0", 6, &ans, &res),
	    -EINVAL);
	/* 501 rows, 401 ids. */
	rc |= sbuf_addch(&big, '[');
	for (j = 0; j < 501; j++)
		rc |= sbuf_addstr(&big, j ? ",{}" : "{}");
	rc |= sbuf_addch(&big, ']');
	CHECK_INT(
	    api_rows_write(a, 7, API_ROWS_ADD, big.buf, big.len, &ans, &res),
	    -EINVAL);
	CHECK(strstr(res.message, "500") != NULL);
	sbuf_reset(&big);
	rc |= sbuf_addstr(&big, "ids=1");
	for (j = 1; j < 401; j++)
		rc |= sbuf_addf(&big, ",%d", j + 1);
	CHECK_INT(
	    api_rows_write(a, 7, API_ROWS_DELETE, big.buf, big.len, &ans, &res),
	    -EINVAL);
	CHECK(strstr(res.message, "400") != NULL);
	CHECK_INT(rc, 0);
	/* Nothing went out. */
	CHECK_INT(http_request_count(h), 0);
out:
	sbuf_release(&big);
	api_free(a);
	auth_free(tok);
	http_free(h);
}

/* ---- the credential ---- */

/* OAuth whose configured Scope is scope; its settings file holds a live
 * pair recorded with file_scope (NULL: none recorded), or nothing (no
 * file_scope and no pair). */
static struct auth *oauth(struct http *h, const char *dir, const char *scope,
			  bool pair, const char *file_scope)
{
	char text[512], err[CFG_ERRBUF_SIZE] = "", path[128];
	struct store_tokens t;
	struct store *s;
	struct auth *a;
	struct cfg c;

	snprintf(path, sizeof(path), "%s/%s-%d.settings", dir, scope, pair);
	cfg_init(&c);
	snprintf(text, sizeof(text),
		 "[connection]\nAuthScheme = OAuth\nOAuthClientId = cid\n"
		 "OAuthClientSecret = secret-0123456789\n"
		 "BaseURL = http://127.0.0.1:9/2.0\nScope = %s\n"
		 "OAuthSettingsLocation = %s\n",
		 scope, path);
	CHECK_INT(cfg_load_string(&c, text, "t.ini", dir, err, sizeof(err)), 0);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "config: %s\n", err);
	if (pair) {
		memset(&t, 0, sizeof(t));
		t.access_token = strdup("access");
		t.refresh_token = strdup("refresh");
		t.api_base = strdup("http://127.0.0.1:9/2.0");
		t.scope = file_scope ? strdup(file_scope) : NULL;
		t.expires_at_ms = clock_wall_ms() + 3600 * 1000;
		s = store_open(path, "secret-0123456789");
		CHECK(s && !store_save(s, &t, err, sizeof(err)));
		store_close(s);
		store_tokens_release(&t);
	}
	a = auth_new_oauth(&c, h);
	cfg_release(&c);
	CHECK(a != NULL);
	if (a && pair)
		CHECK_INT(auth_start(a, err, sizeof(err)), AUTH_OK);
	return a;
}

static bool may_write(struct http *h, struct auth *au, char *why, size_t len)
{
	struct api *a = api_new("http://127.0.0.1:9/2.0", h, au);
	bool ok;

	why[0] = '\0';
	ok = a && api_may_write(a, why, len);
	api_free(a);
	auth_free(au);
	return ok;
}

static void test_rows_may_write(void)
{
	struct http_opts o = {.timeout_s = 5};
	struct http *h = http_new(&o);
	char dir[64], why[160];

	if (!t_mkdtemp(dir, sizeof(dir), "rows-scope") || !h)
		goto out;
	CHECK(may_write(h, auth_new_token("t"), why, sizeof(why)));
	CHECK_STR(why, "");
	/* No tokens yet: the Scope they will be asked for. */
	CHECK(!may_write(h, oauth(h, dir, "READ_SHEETS", false, NULL), why,
			 sizeof(why)));
	CHECK(strstr(why, "WRITE_SHEETS") != NULL);
	CHECK(may_write(h,
			oauth(h, dir, "READ_SHEETS write_sheets", false, NULL),
			why, sizeof(why)));
	/* The settings file's record of the tokens wins over Scope. */
	CHECK(!may_write(
	    h, oauth(h, dir, "READ_SHEETS WRITE_SHEETS", true, "READ_SHEETS"),
	    why, sizeof(why)));
	CHECK(may_write(
	    h, oauth(h, dir, "READ_SHEETS", true, "READ_SHEETS WRITE_SHEETS"),
	    why, sizeof(why)));
	/* Nothing recorded: Scope again. */
	CHECK(!may_write(h, oauth(h, dir, "ADMIN_SHEETS", true, NULL), why,
			 sizeof(why)));
	/* A name that only starts like the scope is not it. */
	CHECK(!may_write(h, oauth(h, dir, "READ_SHEETS", true, "WRITE_SHEETSX"),
			 why, 0));
	t_rmtree(dir);
out:
	http_free(h);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_set_level(LOG_CRIT); /* refusals are logged as errors */
	T(test_rows_parse_answers);
	T(test_rows_parse_wrong_shapes);
	T(test_rows_parse_many_ids);
	T(test_rows_errno);
	T(test_rows_bodies_refused);
	T(test_rows_may_write);
	curl_global_cleanup();
	return t_run();
}
