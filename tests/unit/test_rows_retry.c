/*
 * What a row write is retried after, against the fake Smartsheet
 * (tests/unit/fake_server.h): refusals that changed nothing are sent again
 * (429, 4004, 4001, nothing sent at all); a POST that may have been applied
 * never is, and says so; a PUT and a DELETE are, with the 404 of a DELETE
 * that landed read as an unknown outcome. Checked in the fake's request
 * log and sheet state.
 */
#include "api/rows.h"

#include "tests/unit/fake_server.h"

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

int main(void)
{
	if (fake_server_open()) {
		T(test_rows_add_retried_when_refused);
		T(test_rows_busy_after_retries);
		T(test_rows_add_not_retried_when_maybe_applied);
		T(test_rows_long_message);
		T(test_rows_add_timeout);
		T(test_rows_update_retried);
		T(test_rows_delete_replay_404);
		T(test_rows_add_retried_when_not_sent);
	}
	return fake_server_close();
}
