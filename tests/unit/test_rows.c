/*
 * api/rows.c and the write half of http/ against the fake Smartsheet
 * (tests/support/fake_smartsheet.py, started here on 127.0.0.1 and
 * stopped at the end): what reaches the server, what comes back, and what
 * is retried, checked in the fake's request log and sheet state. Its
 * sheet "Write Target" (EDITOR, 5 rows, version 7) is written; the fake is
 * reset before each test.
 */
#include "api/rows.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "api/api.h"
#include "auth/auth.h"
#include "edit/csvin.h"
#include "edit/diff.h"
#include "edit/plan.h"
#include "http/http.h"
#include "render/csv.h"
#include "tests/unit/testlib.h"
#include "util/log.h"
#include "util/sbuf.h"

#define FAKE_SCRIPT "tests/support/fake_smartsheet.py"
#define TOKEN "test-token-0123456789"
#define S_WRITE 1300000000000010LL
#define S_READONLY 1300000000000011LL
#define C_TASK "1310000000001001"
#define C_DONE "1310000000001002"
#define R_PLAN 1320000000001001LL
#define R_RELEASE 1320000000001004LL /* locked */
#define R_RETRO 1320000000001005LL
#define ATTEMPTS 3

static struct {
	pid_t pid;
	int port;
	char dir[64];
	char base[64];
} fake;

static struct http *http; /* timeout 5 s, no backoff, ATTEMPTS tries */
static struct auth *token;
static struct api *api;

/* ---- the fake: its process and its control API ---- */

static bool fake_start(void)
{
	char port_file[128], ppid[32];
	FILE *f;
	int i;

	if (!t_mkdtemp(fake.dir, sizeof(fake.dir), "rows"))
		return false;
	snprintf(port_file, sizeof(port_file), "%s/port", fake.dir);
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	fake.pid = fork();
	if (fake.pid == 0) {
		/* argv[0] a path: Python finds its library from it. */
		execl("/usr/bin/python3", "/usr/bin/python3", FAKE_SCRIPT,
		      "--port-file", port_file, "--parent-pid", ppid,
		      "--max-seconds", "600", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300 && fake.pid > 0; i++) {
		f = fopen(port_file, "r");
		if (f && fscanf(f, "%d", &fake.port) == 1) {
			fclose(f);
			snprintf(fake.base, sizeof(fake.base),
				 "http://127.0.0.1:%d/2.0", fake.port);
			return true;
		}
		if (f)
			fclose(f);
		usleep(50 * 1000);
	}
	fprintf(stderr, "the fake server (%s) did not start\n", FAKE_SCRIPT);
	return false;
}

static void fake_stop(void)
{
	if (fake.pid > 0) {
		kill(fake.pid, SIGTERM);
		waitpid(fake.pid, NULL, 0);
	}
	t_rmtree(fake.dir);
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	return sbuf_add(ctx, data, size * n) ? 0 : size * n;
}

/* method /_control/<what> with a JSON body (or NULL): the answer, parsed
 * (caller deletes), NULL on any failure. */
static cJSON *control(const char *method, const char *what, const char *json)
{
	struct sbuf sb = SBUF_INIT(64 << 20);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: "
							 "application/json");
	char url[256];
	CURL *c = curl_easy_init();
	cJSON *out = NULL;
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_control/%s", fake.port,
		 what);
	if (!c || !hdr)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
	if (json)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200)
		out = cJSON_ParseWithLength(sb.buf, sb.len);
out:
	CHECK(out != NULL);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	sbuf_release(&sb);
	return out;
}

static void control_ok(const char *method, const char *what, const char *json)
{
	cJSON_Delete(control(method, what, json));
}

static void fault(const char *json)
{
	control_ok("POST", "fault", json);
}

/* The next write is answered with body (status 200), and nothing is
 * written. */
static void fault_answer(const char *body)
{
	cJSON *f = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(f, "path", "/rows$");
	cJSON_AddStringToObject(f, "kind", "answer");
	cJSON_AddStringToObject(f, "body", body);
	text = cJSON_PrintUnformatted(f);
	fault(text);
	free(text);
	cJSON_Delete(f);
}

/* The log entries of row writes (method m, or any write when NULL), in
 * order: a new array (caller deletes). */
static cJSON *writes(const char *m)
{
	cJSON *log = control("GET", "log", NULL), *out = cJSON_CreateArray();
	cJSON *e;
	const cJSON *meth, *path;

	cJSON_ArrayForEach(e, log)
	{
		meth = cJSON_GetObjectItem(e, "method");
		path = cJSON_GetObjectItem(e, "path");
		if (!cJSON_IsString(path) ||
		    !strstr(path->valuestring, "/rows"))
			continue;
		if (m && strcmp(meth->valuestring, m))
			continue;
		cJSON_AddItemToArray(out, cJSON_Duplicate(e, true));
	}
	cJSON_Delete(log);
	return out;
}

/* The text of w[i][key], NULL when it is none. */
static const char *entry_str(const cJSON *w, int i, const char *key)
{
	return cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(w, i), key));
}

static int count_writes(const char *m)
{
	cJSON *w = writes(m);
	int n = cJSON_GetArraySize(w);

	cJSON_Delete(w);
	return n;
}

/* o's number (key NULL) or o[key]'s, -1 when it is not a number. */
static double num(const cJSON *o, const char *key)
{
	const cJSON *v = key ? cJSON_GetObjectItem(o, key) : o;

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The sheet as stored: its version and rows' ids (exact: the fake's ids
 * stay below 2^53) and primary texts. */
struct stored {
	int64_t version;
	int nrows;
	int64_t ids[32];
	char task[32][32];
};

static void stored(struct stored *s)
{
	char what[64];
	cJSON *sheet, *row, *cell;
	const cJSON *v;

	memset(s, 0, sizeof(*s));
	snprintf(what, sizeof(what), "sheets/%lld", S_WRITE);
	sheet = control("GET", what, NULL);
	s->version = (int64_t)num(sheet, "version");
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(sheet, "rows"))
	{
		if (s->nrows == 32)
			break;
		s->ids[s->nrows] = (int64_t)num(row, "id");
		cJSON_ArrayForEach(cell, cJSON_GetObjectItem(row, "cells"))
		{
			v = cJSON_GetObjectItem(cell, "value");
			if (num(cell, "columnId") == atof(C_TASK) &&
			    cJSON_IsString(v))
				snprintf(s->task[s->nrows], 32, "%s",
					 v->valuestring);
		}
		s->nrows++;
	}
	cJSON_Delete(sheet);
}

/* How many stored rows have text as their task. */
static int rows_named(const char *text)
{
	struct stored s;
	int i, n = 0;

	stored(&s);
	for (i = 0; i < s.nrows; i++)
		n += !strcmp(s.task[i], text);
	return n;
}

/*
 * The fake as it started, and one answer on api's connection: a write
 * that stopped on a reset marks the server unreachable (one attempt per
 * request, http.c) until any answer comes, and the next write finds a
 * connection to reuse.
 */
static void reset(void)
{
	int64_t version = 0;

	control_ok("POST", "reset", NULL);
	CHECK_INT(
	    api_get_sheet_version(api, S_WRITE, API_PRIO_USER, &version, NULL),
	    0);
	CHECK_INT(version, 7);
}

static const char *row_json(char *buf, size_t len, const char *task)
{
	snprintf(buf, len,
		 "[{\"toBottom\":true,\"cells\":[{\"columnId\":" C_TASK
		 ",\"value\":\"%s\"}]}]",
		 task);
	return buf;
}

static int add_one(const char *task, struct api_rows_answer *ans,
		   struct api_result *res)
{
	char body[256];

	row_json(body, sizeof(body), task);
	return api_rows_write(api, S_WRITE, API_ROWS_ADD, body, strlen(body),
			      ans, res);
}

/* An UPDATE of row id's task to text. */
static int update_task(int64_t id, const char *text,
		       struct api_rows_answer *ans, struct api_result *res)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "[{\"id\":%" PRId64 ",\"cells\":[{\"columnId\":" C_TASK
		 ",\"value\":\"%s\"}]}]",
		 id, text);
	return api_rows_write(api, S_WRITE, API_ROWS_UPDATE, body, strlen(body),
			      ans, res);
}

/* ---- what reaches the server, what comes back ---- */

static void test_rows_add_body_ids_version(void)
{
	static const char body[] =
	    "[{\"toBottom\":true,\"cells\":[{\"columnId\":" C_TASK
	    ",\"value\":\"Ünï \\\"one\\\"\"},{\"columnId\":" C_DONE
	    ",\"value\":true}]},"
	    "{\"toBottom\":true,\"cells\":[{\"columnId\":" C_TASK
	    ",\"value\":\"two\"}]}]";
	struct api_rows_answer ans;
	struct api_result res;
	struct stored s;
	cJSON *w, *sent;
	uint64_t before;

	reset();
	before = http_request_count(http);
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_ADD, body, strlen(body),
				 &ans, &res),
		  0);
	CHECK_INT(http_request_count(http) - before, 1);
	CHECK_INT(res.status, 200);
	CHECK_INT(ans.version, 8);
	CHECK_INT(ans.result_code, 0);
	CHECK(!ans.maybe_applied);
	CHECK_INT(ans.nids, 2);
	stored(&s);
	CHECK_INT(s.version, 8);
	CHECK_INT(s.nrows, 7);
	if (ans.nids == 2 && s.nrows == 7) {
		CHECK_INT(ans.ids[0], s.ids[5]);
		CHECK_INT(ans.ids[1], s.ids[6]);
		CHECK_STR(s.task[5], "Ünï \"one\"");
		CHECK_STR(s.task[6], "two");
	}
	/* The body and its type, exactly as given. */
	w = writes(NULL);
	sent = cJSON_Parse(body);
	CHECK_INT(cJSON_GetArraySize(w), 1);
	CHECK(cJSON_Compare(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(w, 0), "body"), sent, true));
	CHECK_STR(entry_str(w, 0, "content_type"), "application/json");
	CHECK_STR(entry_str(w, 0, "method"), "POST");
	cJSON_Delete(sent);
	cJSON_Delete(w);
	api_rows_answer_release(&ans);
	api_rows_answer_release(&ans);
	CHECK(ans.ids == NULL);
}

static void test_rows_update_and_delete(void)
{
	char body[256];
	struct api_rows_answer ans;
	struct api_result res;
	struct stored s;
	cJSON *w;

	reset();
	/* Writes are a user's: an unmount's cancel does not stop them. */
	api_cancel_speculative(api, true);
	snprintf(body, sizeof(body),
		 "[{\"id\":%lld,\"cells\":[{\"columnId\":" C_TASK
		 ",\"value\":\"Plan B\"}]},{\"id\":%lld,\"cells\":[{"
		 "\"columnId\":" C_DONE ",\"value\":true}]}]",
		 R_PLAN, R_RETRO);
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_UPDATE, body,
				 strlen(body), &ans, &res),
		  0);
	CHECK_INT(ans.version, 8);
	CHECK_INT(ans.nids, 2);
	if (ans.nids == 2) {
		CHECK_INT(ans.ids[0], R_PLAN);
		CHECK_INT(ans.ids[1], R_RETRO);
	}
	api_rows_answer_release(&ans);
	api_cancel_speculative(api, false);
	stored(&s);
	CHECK_STR(s.task[0], "Plan B");
	/* PLAN takes its two children along. */
	snprintf(body, sizeof(body), "ids=%lld&ignoreRowsNotFound=false",
		 R_PLAN);
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_DELETE, body,
				 strlen(body), &ans, &res),
		  0);
	CHECK_INT(ans.version, 9);
	CHECK_INT(ans.nids, 3);
	if (ans.nids == 3)
		CHECK_INT(ans.ids[0], R_PLAN);
	api_rows_answer_release(&ans);
	stored(&s);
	CHECK_INT(s.nrows, 2);
	w = writes(NULL);
	CHECK_INT(cJSON_GetArraySize(w), 2);
	CHECK_STR(entry_str(w, 0, "method"), "PUT");
	CHECK_STR(entry_str(w, 0, "content_type"), "application/json");
	CHECK_STR(entry_str(w, 1, "method"), "DELETE");
	CHECK(num(cJSON_GetArrayItem(
		      cJSON_GetObjectItem(cJSON_GetArrayItem(w, 1), "ids"), 0),
		  NULL) == (double)R_PLAN);
	cJSON_Delete(w);
}

/* ---- retries ---- */

/* Refused before any change: sent again, and the row lands once. */
static void test_rows_add_retried_when_refused(void)
{
	static const char *const faults[] = {
	    "{\"path\":\"/rows$\",\"status\":429,\"errorCode\":4003}",
	    "{\"path\":\"/rows$\",\"status\":500,\"errorCode\":4004}",
	    "{\"path\":\"/rows$\",\"status\":503,\"errorCode\":4001}",
	};
	struct api_rows_answer ans;
	struct api_result res;
	size_t i;
	uint64_t before;

	for (i = 0; i < SSFS_ARRAY_SIZE(faults); i++) {
		reset();
		fault(faults[i]);
		before = http_request_count(http);
		CHECK_INT(add_one("again", &ans, &res), 0);
		CHECK_INT(http_request_count(http) - before, 2);
		CHECK_INT(count_writes("POST"), 2);
		CHECK_INT(rows_named("again"), 1);
		CHECK_INT(ans.nids, 1);
		CHECK_INT(ans.version, 8);
		api_rows_answer_release(&ans);
	}
}

/* 4004 through every attempt: EBUSY, nothing applied. */
static void test_rows_busy_after_retries(void)
{
	struct api_rows_answer ans;
	struct api_result res;

	reset();
	fault("{\"path\":\"/rows$\",\"times\":-1,\"errorCode\":4004}");
	CHECK_INT(add_one("busy", &ans, &res), -EBUSY);
	CHECK(!ans.maybe_applied);
	CHECK_INT(count_writes("POST"), ATTEMPTS);
	CHECK_INT(res.status, 500);
	CHECK_INT(res.error_code, 4004);
	CHECK(res.message[0] != '\0');
	CHECK_INT(strlen(res.ref_id), 12);
	CHECK_INT(rows_named("busy"), 0);
}

/*
 * The server may have acted: a POST is never sent again. Each fault below
 * answers the first POST; "reset_after", "truncate" and "slow" apply it.
 * A GET first leaves a connection to reuse: libcurl would replay the POST
 * on it behind our back were it not for a fresh connection.
 */
static void test_rows_add_not_retried_when_maybe_applied(void)
{
	static const struct {
		const char *fault;
		int landed;
		int rc;
	} cases[] = {
	    {"{\"path\":\"/rows$\",\"kind\":\"reset_after\"}", 1, -EIO},
	    {"{\"path\":\"/rows$\",\"kind\":\"reset\"}", 0, -EIO},
	    {"{\"path\":\"/rows$\",\"kind\":\"truncate\"}", 1, -EIO},
	    {"{\"path\":\"/rows$\",\"errorCode\":4000}", 0, -EIO},
	    {"{\"path\":\"/rows$\",\"errorCode\":4002}", 0, -EIO},
	    {"{\"path\":\"/rows$\",\"kind\":\"html\",\"status\":502}", 0, -EIO},
	    {"{\"path\":\"/rows$\",\"kind\":\"malformed\"}", 0, -EIO},
	    {"{\"path\":\"/rows$\",\"kind\":\"wrong_shape\"}", 0, -EIO},
	};
	struct api_rows_answer ans;
	struct api_result res;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		reset();
		fault(cases[i].fault);
		CHECK_INT(add_one("once", &ans, &res), cases[i].rc);
		CHECK(ans.maybe_applied);
		CHECK(ans.ids == NULL && ans.nids == 0 && ans.version == 0);
		CHECK(strstr(res.message, "may have been applied") != NULL);
		CHECK_INT(count_writes("POST"), 1);
		CHECK_INT(rows_named("once"), cases[i].landed);
		if (count_writes("POST") != 1 || !ans.maybe_applied)
			fprintf(stderr, "  fault %s\n", cases[i].fault);
	}
}

/* A long message keeps the end that says the outcome is unknown, cut
 * between two characters. */
static void test_rows_long_message(void)
{
	static const char suffix[] = "; it may have been applied";
	struct sbuf f = SBUF_INIT(0);
	struct api_rows_answer ans;
	struct api_result res;
	size_t n;
	int i, rc = sbuf_addstr(&f, "{\"path\":\"/rows$\",\"errorCode\":4000,"
				    "\"message\":\"xy");

	for (i = 0; i < 200; i++)
		rc |= sbuf_addstr(&f, "\u00e9");
	rc |= sbuf_addstr(&f, "\"}");
	CHECK_INT(rc, 0);
	reset();
	fault(f.buf);
	CHECK_INT(add_one("long", &ans, &res), -EIO);
	CHECK(ans.maybe_applied);
	n = strlen(res.message);
	CHECK(n < sizeof(res.message) && n > sizeof(suffix));
	CHECK_STR(res.message + n - (sizeof(suffix) - 1), suffix);
	/* "xy" and whole two-byte characters before the suffix. */
	CHECK_INT((n - (sizeof(suffix) - 1)) % 2, 0);
	CHECK_INT(res.error_code, 4000);
	sbuf_release(&f);
}

/* A timeout after the request went out: ETIMEDOUT, unknown, once. */
static void test_rows_add_timeout(void)
{
	struct http_opts o = {.timeout_s = 1,
			      .max_attempts = ATTEMPTS,
			      .backoff_scale_set = true};
	struct http *h = http_new(&o);
	struct api *a = h ? api_new(fake.base, h, token) : NULL;
	struct api_rows_answer ans;
	struct api_result res;
	char body[256];
	int i;

	CHECK(a != NULL);
	if (!a)
		goto out;
	reset();
	fault("{\"path\":\"/rows$\",\"kind\":\"slow\",\"delay_ms\":2500}");
	row_json(body, sizeof(body), "slow");
	CHECK_INT(api_rows_write(a, S_WRITE, API_ROWS_ADD, body, strlen(body),
				 &ans, &res),
		  -ETIMEDOUT);
	CHECK(ans.maybe_applied);
	CHECK_INT(http_request_count(h), 1);
	/* The fake logs the request once its answer goes, 2.5 s in. */
	for (i = 0; i < 60 && count_writes("POST") == 0; i++)
		usleep(50 * 1000);
	CHECK_INT(count_writes("POST"), 1);
	CHECK_INT(rows_named("slow"), 1);
out:
	api_free(a);
	http_free(h);
}

/* Sending an UPDATE twice is harmless: it is sent again. */
static void test_rows_update_retried(void)
{
	char body[256];
	struct api_rows_answer ans;
	struct api_result res;
	struct stored s;

	reset();
	fault("{\"path\":\"/rows$\",\"kind\":\"reset_after\"}");
	CHECK_INT(update_task(R_RETRO, "twice", &ans, &res), 0);
	CHECK(!ans.maybe_applied);
	CHECK_INT(count_writes("PUT"), 2);
	CHECK_INT(rows_named("twice"), 1);
	stored(&s);
	CHECK_INT(ans.version, s.version);
	api_rows_answer_release(&ans);
	/* One that indents is relative: like a POST, sent once. */
	reset();
	fault("{\"path\":\"/rows$\",\"kind\":\"reset_after\"}");
	snprintf(body, sizeof(body), "[{\"id\":%lld,\"indent\":1}]", R_RETRO);
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_UPDATE, body,
				 strlen(body), &ans, &res),
		  -EIO);
	CHECK(ans.maybe_applied);
	CHECK_INT(count_writes("PUT"), 1);
}

/* A DELETE whose rows went with the first attempt: the replay's 404 is
 * not "no such row" but "probably done". */
static void test_rows_delete_replay_404(void)
{
	char body[128];
	struct api_rows_answer ans;
	struct api_result res;

	reset();
	fault("{\"path\":\"/rows$\",\"kind\":\"reset_after\"}");
	snprintf(body, sizeof(body), "ids=%lld&ignoreRowsNotFound=false",
		 R_RETRO);
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_DELETE, body,
				 strlen(body), &ans, &res),
		  -EIO);
	CHECK(ans.maybe_applied);
	CHECK_INT(res.status, 404);
	CHECK_INT(count_writes("DELETE"), 2);
	CHECK_INT(rows_named("Retro"), 0);
	/* Without the fault, an unknown id is a plain ENOENT. */
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_DELETE, body,
				 strlen(body), &ans, &res),
		  -ENOENT);
	CHECK(!ans.maybe_applied);
	CHECK_INT(res.error_code, 1006);
}

/* Nothing was sent at all (nobody listens): tried ATTEMPTS times. */
static void test_rows_add_retried_when_not_sent(void)
{
	struct http_opts o = {.timeout_s = 5,
			      .max_attempts = ATTEMPTS,
			      .backoff_scale_set = true};
	struct http *h = http_new(&o);
	struct api *a = h ? api_new("http://127.0.0.1:9/2.0", h, token) : NULL;
	struct api_rows_answer ans;
	struct api_result res;
	char body[256];

	CHECK(a != NULL);
	if (!a)
		goto out;
	row_json(body, sizeof(body), "nobody");
	CHECK_INT(api_rows_write(a, S_WRITE, API_ROWS_ADD, body, strlen(body),
				 &ans, &res),
		  -EIO);
	CHECK(!ans.maybe_applied);
	CHECK_INT(http_request_count(h), ATTEMPTS);
	CHECK_INT(res.status, 0);
	CHECK(res.message[0] != '\0');
	CHECK(strstr(res.message, "may have been") == NULL);
out:
	api_free(a);
	http_free(h);
}

/* ---- refusals ---- */

static void test_rows_refusals(void)
{
	char body[256];
	struct api_rows_answer ans;
	struct api_result res;

	reset();
	/* A CHECKBOX takes booleans only (strict): 400 1042. */
	snprintf(body, sizeof(body),
		 "[{\"cells\":[{\"columnId\":" C_DONE
		 ",\"value\":\"maybe\"}]}]");
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_ADD, body, strlen(body),
				 &ans, &res),
		  -EINVAL);
	CHECK(!ans.maybe_applied);
	CHECK_INT(res.status, 400);
	CHECK_INT(res.error_code, 1042);
	CHECK(strstr(res.message, "did not conform") != NULL);
	CHECK_INT(strlen(res.ref_id), 12);
	CHECK_INT(count_writes("POST"), 1);
	/* A VIEWER's sheet: 403 1004. */
	row_json(body, sizeof(body), "no");
	CHECK_INT(api_rows_write(api, S_READONLY, API_ROWS_ADD, body,
				 strlen(body), &ans, &res),
		  -EACCES);
	CHECK_INT(res.error_code, 1004);
	CHECK(res.message[0] != '\0' && res.ref_id[0] != '\0');
	/* No such sheet: 404 1006. */
	CHECK_INT(api_rows_write(api, 42, API_ROWS_ADD, body, strlen(body),
				 &ans, &res),
		  -ENOENT);
	/* A locked row (403 1050) refuses the edit, not the file. */
	CHECK_INT(update_task(R_RELEASE, "x", &ans, &res), -EINVAL);
	CHECK_INT(res.error_code, 1050);
	CHECK_INT(count_writes(NULL), 4);
	CHECK_INT(rows_named("no"), 0);
}

/* Answers that say other than what was sent: the rows are there, what
 * they became is not known. */
static void test_rows_odd_answers(void)
{
	static const char two[] =
	    "[{\"cells\":[{\"columnId\":" C_TASK ",\"value\":\"a\"}]},"
	    "{\"cells\":[{\"columnId\":" C_TASK ",\"value\":\"b\"}]}]";
	struct api_rows_answer ans;
	struct api_result res;

	reset();
	fault_answer("{\"message\":\"SUCCESS\",\"resultCode\":0,"
		     "\"version\":9,\"result\":[{\"id\":5}]}");
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_ADD, two, strlen(two),
				 &ans, &res),
		  -EIO);
	CHECK(ans.maybe_applied);
	CHECK(strstr(res.message, "1 rows for 2 sent") != NULL);
	fault_answer("{\"message\":\"PARTIAL_SUCCESS\",\"resultCode\":3,"
		     "\"result\":[{\"id\":5},{\"id\":6}]}");
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_ADD, two, strlen(two),
				 &ans, &res),
		  -EIO);
	CHECK(ans.maybe_applied);
	/* Ids past 2^53 come back exact; no version: 0. */
	fault_answer("{\"resultCode\":0,\"result\":[{\"id\":"
		     "9007199254740993},{\"id\":9223372036854775807}]}");
	CHECK_INT(api_rows_write(api, S_WRITE, API_ROWS_ADD, two, strlen(two),
				 &ans, &res),
		  0);
	CHECK_INT(ans.nids, 2);
	if (ans.nids == 2) {
		CHECK(ans.ids[0] == 9007199254740993LL);
		CHECK(ans.ids[1] == INT64_MAX);
	}
	CHECK_INT(ans.version, 0);
	api_rows_answer_release(&ans);
	CHECK_INT(count_writes("POST"), 3);
}

/*
 * The seam with edit/: a whole-file save planned by edit_diff() (an
 * update, a move, an addition, a deletion), each request's body from
 * edit_req_body() sent with api_rows_write(), the ids each addition
 * answers passed on to the requests after it.
 */
static void test_rows_carry_an_edit_plan(void)
{
	static const char *const want[] = {"Launch", "Plan", "Build", "Design",
					   "Release"};
	static const char plan_head[] =
	    "Plan,true,2024-05-01,Complete,red,ana.silva@example.com,,,";
	struct model_sheet *base = NULL;
	struct edit_plan *plan = NULL;
	struct edit_csvin *in = NULL;
	struct sbuf csv = SBUF_INIT(0), text = SBUF_INIT(0),
		    body = SBUF_INIT(0);
	struct api_rows_answer ans;
	struct api_result res;
	int64_t added[8];
	size_t nadded = 0, i, k;
	char err[512] = "", *line, *next;
	struct stored s;
	int rc = 0;

	reset();
	CHECK_INT(api_get_sheet(api, S_WRITE, API_PRIO_USER, &base, NULL), 0);
	if (!base)
		return;
	CHECK_INT(render_csv(base, NULL, &csv), 0);
	/* Launch new at the top, Plan's Estimate 3 -> 4, Build above Design,
	 * Retro gone. (A new row where one is gone would be that row,
	 * changed: SPEC §8.) */
	for (line = csv.buf; *line; line = next) {
		next = strchr(line, '\n') + 1;
		if (!strncmp(line, plan_head, strlen(plan_head))) {
			rc |= sbuf_addstr(&text, "Launch,,,,,,,,,,,,,,,,,\n");
			rc |= sbuf_addstr(&text, plan_head);
			rc |= sbuf_addstr(&text, "4,");
			line += strlen(plan_head) + 2; /* "3," */
		}
		if (!strncmp(line, "Retro,", 6))
			continue;
		if (!strncmp(line, "Design,", 7)) {
			k = (size_t)(next - line);
			line = next;
			next = strchr(line, '\n') + 1;
			rc |= sbuf_add(&text, line, (size_t)(next - line));
			rc |= sbuf_add(&text, line - k, k);
			continue;
		}
		rc |= sbuf_add(&text, line, (size_t)(next - line));
	}
	CHECK_INT(rc, 0);
	in = edit_csvin_new(base, EDIT_CSV_EDIT);
	CHECK(in != NULL);
	if (!in)
		goto out;
	CHECK_INT(edit_csvin_feed(in, text.buf, text.len, err), 0);
	CHECK_INT(edit_csvin_finish(in, err), 0);
	CHECK_INT(edit_diff(base, edit_csvin_doc(in), NULL, &plan, err), 0);
	if (err[0])
		fprintf(stderr, "  edit: %s\n", err);
	if (!plan)
		goto out;
	CHECK_INT(plan->nreqs, 4);
	for (i = 0; i < plan->nreqs; i++) {
		enum api_rows_op op =
		    plan->reqs[i].kind == EDIT_REQ_ADD	    ? API_ROWS_ADD
		    : plan->reqs[i].kind == EDIT_REQ_DELETE ? API_ROWS_DELETE
							    : API_ROWS_UPDATE;

		sbuf_reset(&body);
		CHECK_INT(edit_req_body(plan, i, added, nadded, &body), 0);
		CHECK_INT(api_rows_write(api, S_WRITE, op, body.buf, body.len,
					 &ans, &res),
			  0);
		CHECK_INT(ans.version, 8 + (int64_t)i);
		for (k = 0; op == API_ROWS_ADD && k < ans.nids && nadded < 8;
		     k++)
			added[nadded++] = ans.ids[k];
		api_rows_answer_release(&ans);
	}
	CHECK_INT(nadded, 1);
	stored(&s);
	CHECK_INT(s.nrows, 5);
	for (i = 0; i < 5 && (int)i < s.nrows; i++)
		CHECK_STR(s.task[i], want[i]);
	if (nadded == 1 && s.nrows == 5)
		CHECK_INT(s.ids[0], added[0]);
	CHECK_INT(s.version, 7 + (int64_t)plan->nreqs);
out:
	edit_plan_free(plan);
	edit_csvin_free(in);
	model_sheet_free(base);
	sbuf_release(&body);
	sbuf_release(&text);
	sbuf_release(&csv);
}

/* stderr (where the log goes) into a file, and back; what was written. */
static int capture_start(const char *path)
{
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	CHECK(saved >= 0 && fd >= 0);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	return saved;
}

static void capture_end(int saved, const char *path, struct sbuf *out)
{
	char buf[4096];
	FILE *f;
	size_t n;

	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	f = fopen(path, "r");
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		CHECK_INT(sbuf_add(out, buf, n), 0);
	if (f)
		fclose(f);
}

static int count_lines_with(const char *text, const char *needle)
{
	const char *line, *nl;
	int n = 0;

	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		if (memmem(line, (size_t)(nl - line + 1), needle,
			   strlen(needle)))
			n++;
	}
	return n;
}

/*
 * One failure, one log line: method, path and count, status, errorCode,
 * refId and the server's message; never the token or what the body holds
 * (here with the request trace on, headers and all).
 */
static void test_rows_logged_once(void)
{
	static const char body[] =
	    "[{\"cells\":[{\"columnId\":" C_TASK
	    ",\"value\":\"body-only-text\"},{\"columnId\":" C_DONE
	    ",\"value\":\"maybe\"}]}]";
	struct http_opts o = {.timeout_s = 5, .trace = true};
	struct http *h = http_new(&o);
	struct api *a = h ? api_new(fake.base, h, token) : NULL;
	struct sbuf log = SBUF_INIT(1 << 20);
	struct api_rows_answer ans;
	struct api_result res;
	char path[160];
	int saved, level = log_get_level();

	CHECK(a != NULL);
	if (!a)
		goto out;
	reset();
	snprintf(path, sizeof(path), "%s/log", fake.dir);
	log_set_level(LOG_DEBUG);
	saved = capture_start(path);
	CHECK_INT(api_rows_write(a, S_WRITE, API_ROWS_ADD, body, strlen(body),
				 &ans, &res),
		  -EINVAL);
	capture_end(saved, path, &log);
	log_set_level(level);
	/* Above debug level (http's own trace), one line. */
	CHECK_INT(count_lines_with(log.buf, "smartsheetfs: error: "), 1);
	CHECK_INT(count_lines_with(log.buf, "smartsheetfs: warning: "), 0);
	CHECK_INT(count_lines_with(log.buf, "smartsheetfs: info: "), 0);
	snprintf(path, sizeof(path),
		 "error: POST /sheets/%lld/rows (1 rows): HTTP 400, "
		 "errorCode 1042, refId %s: The value",
		 S_WRITE, res.ref_id);
	CHECK_INT(count_lines_with(log.buf, path), 1);
	CHECK_INT(count_lines_with(log.buf, "Authorization: Bearer "
					    "(redacted)"),
		  1);
	CHECK(strstr(log.buf, TOKEN) == NULL);
	CHECK(strstr(log.buf, "body-only-text") == NULL);
	if (count_lines_with(log.buf, path) != 1)
		fprintf(stderr, "%s", log.buf);
out:
	sbuf_release(&log);
	api_free(a);
	http_free(h);
}

/* A fake that cannot start fails a test, not the run silently. */
static void test_rows_fake_started(void)
{
	CHECK(fake_start());
}

int main(void)
{
	struct http_opts o = {.timeout_s = 5,
			      .max_attempts = ATTEMPTS,
			      .backoff_scale_set = true};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	T(test_rows_fake_started);
	if (!fake.port) {
		fake_stop();
		return t_run();
	}
	http = http_new(&o);
	token = auth_new_token(TOKEN);
	api = http && token ? api_new(fake.base, http, token) : NULL;
	CHECK(api != NULL);
	if (api) {
		T(test_rows_add_body_ids_version);
		T(test_rows_update_and_delete);
		T(test_rows_add_retried_when_refused);
		T(test_rows_busy_after_retries);
		T(test_rows_add_not_retried_when_maybe_applied);
		T(test_rows_long_message);
		T(test_rows_add_timeout);
		T(test_rows_update_retried);
		T(test_rows_delete_replay_404);
		T(test_rows_add_retried_when_not_sent);
		T(test_rows_refusals);
		T(test_rows_odd_answers);
		T(test_rows_carry_an_edit_plan);
		T(test_rows_logged_once);
	}
	api_free(api);
	auth_free(token);
	http_free(http);
	fake_stop();
	rc = t_run();
	curl_global_cleanup();
	return rc;
}
