#ifndef SSFS_TESTS_UNIT_FAKE_SERVER_H
#define SSFS_TESTS_UNIT_FAKE_SERVER_H

/*
 * The fake Smartsheet (tests/support/fake_smartsheet.py) for the row-write
 * tests: started on 127.0.0.1 by fake_server_open() (a test of its own, so
 * that a fake that cannot start fails the run), its control API (reset,
 * faults, the request log, the sheets as stored), the api the tests write
 * with, and helpers for its sheet "Write Target" (EDITOR, 5 rows, version
 * 7). Header-only: each test is one executable, on one thread.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "api/api.h"
#include "api/rows.h"
#include "auth/auth.h"
#include "http/http.h"
#include "tests/unit/testlib.h"
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

static inline bool fake_start(void)
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

static inline void fake_stop(void)
{
	if (fake.pid > 0) {
		kill(fake.pid, SIGTERM);
		waitpid(fake.pid, NULL, 0);
	}
	t_rmtree(fake.dir);
}

static inline size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	return sbuf_add(ctx, data, size * n) ? 0 : size * n;
}

/* method /_control/<what> with a JSON body (or NULL): the answer, parsed
 * (caller deletes), NULL on any failure. */
static inline cJSON *control(const char *method, const char *what,
			     const char *json)
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

static inline void control_ok(const char *method, const char *what,
			      const char *json)
{
	cJSON_Delete(control(method, what, json));
}

static inline void fault(const char *json)
{
	control_ok("POST", "fault", json);
}

/* The next write is answered with body (status 200), and nothing is
 * written. */
static inline void fault_answer(const char *body)
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
static inline cJSON *writes(const char *m)
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
static inline const char *entry_str(const cJSON *w, int i, const char *key)
{
	return cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(w, i), key));
}

static inline int count_writes(const char *m)
{
	cJSON *w = writes(m);
	int n = cJSON_GetArraySize(w);

	cJSON_Delete(w);
	return n;
}

/* o's number (key NULL) or o[key]'s, -1 when it is not a number. */
static inline double num(const cJSON *o, const char *key)
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

static inline void stored(struct stored *s)
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
static inline int rows_named(const char *text)
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
static inline void reset(void)
{
	int64_t version = 0;

	control_ok("POST", "reset", NULL);
	CHECK_INT(
	    api_get_sheet_version(api, S_WRITE, API_PRIO_USER, &version, NULL),
	    0);
	CHECK_INT(version, 7);
}

static inline const char *row_json(char *buf, size_t len, const char *task)
{
	snprintf(buf, len,
		 "[{\"toBottom\":true,\"cells\":[{\"columnId\":" C_TASK
		 ",\"value\":\"%s\"}]}]",
		 task);
	return buf;
}

static inline int add_one(const char *task, struct api_rows_answer *ans,
			  struct api_result *res)
{
	char body[256];

	row_json(body, sizeof(body), task);
	return api_rows_write(api, S_WRITE, API_ROWS_ADD, body, strlen(body),
			      ans, res);
}

/* An UPDATE of row id's task to text. */
static inline int update_task(int64_t id, const char *text,
			      struct api_rows_answer *ans,
			      struct api_result *res)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "[{\"id\":%" PRId64 ",\"cells\":[{\"columnId\":" C_TASK
		 ",\"value\":\"%s\"}]}]",
		 id, text);
	return api_rows_write(api, S_WRITE, API_ROWS_UPDATE, body, strlen(body),
			      ans, res);
}

/* A fake that cannot start fails a test, not the run silently. */
static inline void test_rows_fake_started(void)
{
	CHECK(fake_start());
}

/* The fake, and api on it (timeout 5 s, no backoff, ATTEMPTS tries): true
 * when the tests can run. */
static inline bool fake_server_open(void)
{
	struct http_opts o = {.timeout_s = 5,
			      .max_attempts = ATTEMPTS,
			      .backoff_scale_set = true};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	T(test_rows_fake_started);
	if (!fake.port)
		return false;
	http = http_new(&o);
	token = auth_new_token(TOKEN);
	api = http && token ? api_new(fake.base, http, token) : NULL;
	CHECK(api != NULL);
	return api != NULL;
}

/* Everything open closed; the run's result. */
static inline int fake_server_close(void)
{
	int rc;

	api_free(api);
	auth_free(token);
	http_free(http);
	fake_stop();
	rc = t_run();
	curl_global_cleanup();
	return rc;
}

#endif /* SSFS_TESTS_UNIT_FAKE_SERVER_H */
