/*
 * api/rows.c against the fake Smartsheet (tests/unit/fake_server.h): what
 * reaches the server (bodies, types, methods) and what comes back (ids in
 * order, exact, the new version), refusals and their errno, odd answers,
 * the one log line of a failure, and a save planned by edit/ carried out.
 * Retries are in test_rows_retry.c.
 */
#include "api/rows.h"

#include <fcntl.h>

#include "edit/csvin.h"
#include "edit/diff.h"
#include "edit/plan.h"
#include "render/csv.h"
#include "tests/unit/fake_server.h"
#include "util/log.h"

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

int main(void)
{
	if (fake_server_open()) {
		T(test_rows_add_body_ids_version);
		T(test_rows_update_and_delete);
		T(test_rows_refusals);
		T(test_rows_odd_answers);
		T(test_rows_carry_an_edit_plan);
		T(test_rows_logged_once);
	}
	return fake_server_close();
}
