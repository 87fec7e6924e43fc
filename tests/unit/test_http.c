#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/testlib.h"

/* Rejected by CURLOPT_PROTOCOLS_STR before anything is opened: exercises the
 * whole request path without any network. */
#define LOCAL_URL "file:///nonexistent/smartsheetfs-test"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- error mapping tables (STYLE E3) ---- */

static void test_http_status_to_errno(void)
{
	static const struct {
		long status;
		bool is_write;
		int want;
	} cases[] = {
	    {200, false, 0},	   {200, true, 0},	  {201, false, 0},
	    {204, false, 0},	   {299, false, 0},	  {400, false, -EIO},
	    {400, true, -EINVAL},  {401, false, -EACCES}, {401, true, -EACCES},
	    {403, false, -EACCES}, {403, true, -EACCES},  {404, false, -ENOENT},
	    {404, true, -ENOENT},  {410, false, -EIO},	  {429, false, -EIO},
	    {429, true, -EIO},	   {500, false, -EIO},	  {502, false, -EIO},
	    {503, false, -EIO},	   {504, false, -EIO},	  {302, false, -EIO},
	    {405, false, -EIO},	   {414, false, -EIO},	  {100, false, -EIO},
	    {0, false, -EIO},	   {-1, false, -EIO},	  {999, false, -EIO},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		int got =
		    http_status_to_errno(cases[i].status, cases[i].is_write);

		if (got != cases[i].want)
			fprintf(stderr, "  status %ld write %d\n",
				cases[i].status, cases[i].is_write);
		CHECK_INT(got, cases[i].want);
	}
}

static void test_http_curlcode_to_errno(void)
{
	static const struct {
		CURLcode code;
		int want;
	} cases[] = {
	    {CURLE_OK, 0},
	    {CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT},
	    {CURLE_COULDNT_RESOLVE_HOST, -EIO},
	    {CURLE_COULDNT_CONNECT, -EIO},
	    {CURLE_OUT_OF_MEMORY, -ENOMEM},
	    {CURLE_FILESIZE_EXCEEDED, -EFBIG},
	    {CURLE_WRITE_ERROR, -EIO},
	    {CURLE_RECV_ERROR, -EIO},
	    {CURLE_SEND_ERROR, -EIO},
	    {CURLE_GOT_NOTHING, -EIO},
	    {CURLE_SSL_CONNECT_ERROR, -EIO},
	    {CURLE_PEER_FAILED_VERIFICATION, -EIO},
	    {CURLE_UNSUPPORTED_PROTOCOL, -EIO},
	    {CURLE_URL_MALFORMAT, -EIO},
	    {CURLE_BAD_CONTENT_ENCODING, -EIO},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		int got = http_curlcode_to_errno(cases[i].code);

		if (got != cases[i].want)
			fprintf(stderr, "  curl code %d\n", (int)cases[i].code);
		CHECK_INT(got, cases[i].want);
	}
}

/* ---- retry policy ---- */

static void test_http_is_retryable(void)
{
	static const struct {
		long status;
		int error_code;
		CURLcode code;
		bool want;
	} cases[] = {
	    /* Smartsheet's transient errorCodes, whatever the status. */
	    {503, 4001, CURLE_OK, true},
	    {500, 4002, CURLE_OK, true},
	    {429, 4003, CURLE_OK, true},
	    {500, 4004, CURLE_OK, true},
	    /* Final errorCodes. */
	    {500, 4000, CURLE_OK, false},
	    {410, 4005, CURLE_OK, false},
	    {503, 4000, CURLE_OK, false},
	    {401, 1002, CURLE_OK, false},
	    {404, 1006, CURLE_OK, false},
	    {400, 1071, CURLE_OK, false},
	    /* 429 even without a body. */
	    {429, 0, CURLE_OK, true},
	    /* Gateways without a Smartsheet body. */
	    {502, 0, CURLE_OK, true},
	    {503, 0, CURLE_OK, true},
	    {504, 0, CURLE_OK, true},
	    /* A bare 500 is a server bug, not a transient state. */
	    {500, 0, CURLE_OK, false},
	    {501, 0, CURLE_OK, false},
	    {404, 0, CURLE_OK, false},
	    {400, 0, CURLE_OK, false},
	    {403, 0, CURLE_OK, false},
	    {200, 0, CURLE_OK, false},
	    /* Connection-level failures. */
	    {0, 0, CURLE_COULDNT_CONNECT, true},
	    {0, 0, CURLE_COULDNT_RESOLVE_HOST, true},
	    {0, 0, CURLE_SEND_ERROR, true},
	    {0, 0, CURLE_RECV_ERROR, true},
	    {0, 0, CURLE_GOT_NOTHING, true},
	    {200, 0, CURLE_PARTIAL_FILE, true},
	    {0, 0, CURLE_OPERATION_TIMEDOUT, true},
	    {200, 0, CURLE_BAD_CONTENT_ENCODING, true},
	    {0, 0, CURLE_HTTP2_STREAM, true},
	    /* Not transient. */
	    {0, 0, CURLE_PEER_FAILED_VERIFICATION, false},
	    {0, 0, CURLE_UNSUPPORTED_PROTOCOL, false},
	    {0, 0, CURLE_URL_MALFORMAT, false},
	    {0, 0, CURLE_OUT_OF_MEMORY, false},
	    {200, 0, CURLE_WRITE_ERROR, false},
	    {0, 0, CURLE_FILESIZE_EXCEEDED, false},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		bool got = http_is_retryable(
		    cases[i].status, cases[i].error_code, cases[i].code);

		if (got != cases[i].want)
			fprintf(stderr, "  status %ld errorCode %d curl %d\n",
				cases[i].status, cases[i].error_code,
				(int)cases[i].code);
		CHECK_INT(got, cases[i].want);
	}
}

static void test_http_backoff_ms(void)
{
	static const struct {
		int n;
		double rnd;
		long want;
	} cases[] = {
	    {1, 0.0, 2000},  {1, 0.5, 2500},	{1, 0.9999, 2999},
	    {2, 0.0, 4000},  {2, 0.123, 4123},	{3, 0.25, 8250},
	    {4, 0.0, 16000}, {4, 0.999, 16999}, {5, 0.0, 30000},
	    {5, 0.9, 30000}, {10, 0.5, 30000},	{1000, 0.0, 30000},
	    {0, 0.0, 2000},  {-3, 0.0, 2000},	{1, -0.5, 2000},
	    {1, 1.0, 2999},  {1, 7.0, 2999},
	};
	size_t i;
	int n;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		long got = http_backoff_ms(cases[i].n, cases[i].rnd);

		if (got != cases[i].want)
			fprintf(stderr, "  n %d rnd %g\n", cases[i].n,
				cases[i].rnd);
		CHECK_INT(got, cases[i].want);
	}
	/* Never decreasing in n, never above the cap. */
	for (n = 1; n < 70; n++) {
		CHECK(http_backoff_ms(n + 1, 0.3) >= http_backoff_ms(n, 0.3));
		CHECK(http_backoff_ms(n, 0.999) <= 30000);
	}
}

/* ---- the sliding window with a fake clock ---- */

static void test_http_window_fills_then_slides(void)
{
	struct http_window w;
	int i;

	CHECK_INT(http_window_init(&w, 300, 60000, 0), 0);
	/* Smartsheet allows the whole minute's budget at once. */
	for (i = 0; i < 300; i++)
		CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1000), 0);
	CHECK_INT(http_window_used(&w, 1000), 300);
	/* The next one waits until the first leaves the window. */
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1000), 60000);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 60999), 1);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 61000), 0);
	CHECK_INT(http_window_used(&w, 61000), 1);
	http_window_release(&w);
}

static void test_http_window_priorities(void)
{
	struct http_window w;
	int i, n;

	CHECK_INT(http_window_init(&w, 100, 60000, 60000), 0);
	CHECK_INT(http_window_allowed(&w, HTTP_PRIO_USER), 100);
	CHECK_INT(http_window_allowed(&w, HTTP_PRIO_AHEAD), 75);
	CHECK_INT(http_window_allowed(&w, HTTP_PRIO_BACKGROUND), 50);
	/* Background: half the window, at its pace (here 1/ms). */
	for (n = 0, i = 0; i < 200; i++)
		if (http_window_take(&w, HTTP_PRIO_BACKGROUND, i) == 0)
			n++;
	CHECK_INT(n, 50);
	/* Read-ahead fills up to three quarters... */
	for (n = 0; http_window_take(&w, HTTP_PRIO_AHEAD, 200) == 0; n++)
		;
	CHECK_INT(n, 25);
	/* ... and a user still has a quarter of the budget. */
	for (n = 0; http_window_take(&w, HTTP_PRIO_USER, 200) == 0; n++)
		;
	CHECK_INT(n, 25);
	/* Background waits until the window is back under half: until
	 * the requests sent at 200 leave it. */
	CHECK_INT(http_window_take(&w, HTTP_PRIO_BACKGROUND, 200), 60000);
	http_window_release(&w);
}

static void test_http_window_background_pace(void)
{
	struct http_window w;
	int64_t now = 0, last = -1;
	int grants = 0, gaps_ok = 0;
	long t;

	/* 120 a minute: one every 500 ms, never two at once. */
	CHECK_INT(http_window_init(&w, 290, 61000, 120), 0);
	while (grants < 41) {
		t = http_window_take(&w, HTTP_PRIO_BACKGROUND, now);
		if (t) {
			CHECK(t > 0);
			now += t;
			continue;
		}
		if (last >= 0 && now - last == 500)
			gaps_ok++;
		last = now;
		grants++;
	}
	CHECK_INT(gaps_ok, 40);
	/* Users are not paced. */
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, now), 0);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, now), 0);
	/* No pace: no background request at all. */
	http_window_set_background(&w, 0);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_BACKGROUND, now + 99999), -1);
	http_window_release(&w);
}

/* The warm-up waits for room at its pace, then sends at AHEAD: the room
 * takes no slot but uses the pace up; share and hold apply to it too. */
static void test_http_window_room_takes_no_slot(void)
{
	struct http_window w;
	int i;

	CHECK_INT(http_window_init(&w, 8, 60000, 600), 0);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_BACKGROUND, 0), 0);
	CHECK_INT(http_window_used(&w, 0), 0);
	/* The pace is used up: the next room is 100 ms later. */
	CHECK_INT(http_window_room(&w, HTTP_PRIO_BACKGROUND, 0), 100);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_AHEAD, 0), 0);
	CHECK_INT(http_window_used(&w, 0), 1);
	/* Half the window full: no room for the warm-up, whatever the pace;
	 * AHEAD (three quarters) and USER still have some. */
	for (i = 0; i < 3; i++)
		CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1), 0);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_BACKGROUND, 500), 59500);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_AHEAD, 500), 0);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_USER, 500), 0);
	CHECK_INT(http_window_used(&w, 500), 4);
	/* A hold after a 429 holds the room too. */
	http_window_hold(&w, 2000);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_USER, 1000), 1000);
	http_window_release(&w);
}

static void test_http_window_unlimited_and_hold(void)
{
	struct http_window w;
	int i;

	CHECK_INT(http_window_init(&w, 0, 60000, 0), 0);
	for (i = 0; i < 100000; i++)
		if (http_window_take(&w, HTTP_PRIO_USER, 0) != 0)
			break;
	CHECK_INT(i, 100000);
	/* After a 429 nobody sends until the hold ends. */
	http_window_hold(&w, 5000);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1000), 4000);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_AHEAD, 4999), 1);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 5000), 0);
	http_window_release(&w);
}

#define SIM_MAX_GRANTS 4096
#define SIM_TAKERS 8
#define SIM_DURATION_MS (5 * 60000)

struct sim {
	int64_t grant[SIM_MAX_GRANTS];
	enum http_priority prio[SIM_MAX_GRANTS];
	int n;
};

/* Greedy takers of mixed priorities sharing one window for five simulated
 * minutes. work_ms is how long a taker is busy after a grant. */
static void simulate(struct sim *s, int limit, int bg_per_min, int work_ms)
{
	struct http_window w;
	int64_t next[SIM_TAKERS] = {0};
	int64_t now;
	int i, k;
	long t;

	s->n = 0;
	if (http_window_init(&w, limit, 61000, bg_per_min))
		return;
	for (;;) {
		enum http_priority p;

		k = 0;
		for (i = 1; i < SIM_TAKERS; i++)
			if (next[i] < next[k])
				k = i;
		now = next[k];
		if (now >= SIM_DURATION_MS || s->n == SIM_MAX_GRANTS)
			break;
		p = (enum http_priority)(k % 3);
		t = http_window_take(&w, p, now);
		if (t) {
			next[k] = now + (t > 0 ? t : 1000);
			continue;
		}
		s->prio[s->n] = p;
		s->grant[s->n++] = now;
		next[k] = now + (work_ms ? (k * 7 + s->n) % work_ms : 0);
	}
	http_window_release(&w);
}

/* The most grants (of priority p, or any when p < 0) in any 60 s window
 * [t, t + 60000) starting at a grant. */
static int max_window(const struct sim *s, int p)
{
	int i, j = 0, best = 0, in = 0;

	for (i = 0; i < s->n; i++) {
		while (j < s->n && s->grant[j] < s->grant[i] + 60000) {
			if (p < 0 || (int)s->prio[j] == p)
				in++;
			j++;
		}
		if (in > best)
			best = in;
		if (p < 0 || (int)s->prio[i] == p)
			in--;
	}
	return best;
}

static void test_http_window_never_exceeds_the_limit(void)
{
	static struct sim s;

	simulate(&s, 290, 100, 0);
	CHECK(max_window(&s, -1) <= 290);
	/* The budget is used: about 290 per 61 s over five minutes. */
	CHECK(s.n >= 290 * 300 / 61 - 1);
	CHECK(max_window(&s, HTTP_PRIO_BACKGROUND) <= 100);

	simulate(&s, 300, 150, 13);
	CHECK(max_window(&s, -1) <= 300);
	CHECK(max_window(&s, HTTP_PRIO_BACKGROUND) <= 150);
	CHECK(s.n >= 300 * 300 / 61 - 1);
}

/* ---- error bodies ---- */

static void test_http_parse_error_documented(void)
{
	static const char body[] =
	    "{ \"errorCode\": 1006, \"message\": \"Not Found\", "
	    "\"refId\": \"123abc\",\n  \"detail\": { \"index\": 4, "
	    "\"rowId\": 6572427401553796 } }";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	r.status = 404;
	r.attempts = 1;
	snprintf(r.oauth_error, sizeof(r.oauth_error), "stale");
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 1006);
	CHECK_STR(r.message, "Not Found");
	CHECK_STR(r.ref_id, "123abc");
	CHECK_STR(r.oauth_error, "");
	/* Only the body's fields are touched. */
	CHECK_INT(r.status, 404);
	CHECK_INT(r.attempts, 1);
}

static void test_http_parse_error_ref_id_number(void)
{
	static const char body[] = "{\"errorCode\":4003,\"message\":"
				   "\"Rate limit exceeded.\",\"refId\":"
				   "1234567890123}";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 4003);
	CHECK_STR(r.message, "Rate limit exceeded.");
	CHECK_STR(r.ref_id, "1234567890123");
}

static void test_http_parse_error_oauth(void)
{
	static const char body[] = "{\"error\":\"invalid_grant\","
				   "\"error_description\":\"Invalid Grant\"}";
	static const char both[] = "{\"errorCode\":1071,\"error\":"
				   "\"invalid_grant\",\"message\":\"m\","
				   "\"error_description\":\"d\"}";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.oauth_error, "invalid_grant");
	CHECK_STR(r.message, "Invalid Grant");
	CHECK_STR(r.ref_id, "");

	/* message wins over error_description. */
	http_parse_error_body(both, strlen(both), &r);
	CHECK_INT(r.error_code, 1071);
	CHECK_STR(r.oauth_error, "invalid_grant");
	CHECK_STR(r.message, "m");
}

static void test_http_parse_error_html(void)
{
	static const char body[] =
	    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
	    "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
	    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
	const char *want = "non-JSON answer: <html> <head><title>502 Bad "
			   "Gateway</title></head> <body> <center><h1>502 "
			   "Bad Ga";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	r.error_code = 99;
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, want);
	CHECK_INT(strlen(r.message), strlen("non-JSON answer: ") + 80);
	CHECK(strchr(r.message, '\n') == NULL);
	CHECK(strchr(r.message, '\r') == NULL);
}

static void test_http_parse_error_truncated_json(void)
{
	static const char body[] = "{\"errorCode\": 4003, \"message\": \"Rate";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message,
		  "non-JSON answer: {\"errorCode\": 4003, \"message\": \"Rate");

	/* len is honoured: the bytes after it are not part of the body. */
	http_parse_error_body("{\"errorCode\":4001}garbage", 18, &r);
	CHECK_INT(r.error_code, 4001);
	CHECK_STR(r.message, "");
}

static void test_http_parse_error_empty(void)
{
	struct http_result r;

	memset(&r, 'x', sizeof(r));
	r.error_code = 5;
	http_parse_error_body("", 0, &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "");
	CHECK_STR(r.ref_id, "");
	CHECK_STR(r.oauth_error, "");
	http_parse_error_body(NULL, 0, &r);
	CHECK_STR(r.message, "");
	/* Whitespace only is not JSON, but there is nothing to show. */
	http_parse_error_body(" \r\n", 3, &r);
	CHECK_STR(r.message, "non-JSON answer");
}

static void test_http_parse_error_huge_fields(void)
{
	struct http_result r;
	size_t n = 10000, i;
	char *body = malloc(n + 200);
	int off;

	CHECK(body != NULL);
	if (!body)
		return;
	memset(&r, 0, sizeof(r));
	off = snprintf(body, 200, "{\"errorCode\":4000,\"refId\":\"");
	for (i = 0; i < 100; i++)
		body[off++] = 'r';
	off += snprintf(body + off, 200, "\",\"message\":\"");
	for (i = 0; i < n; i++)
		body[off++] = 'x';
	off += snprintf(body + off, 200, "\"}");
	http_parse_error_body(body, (size_t)off, &r);
	CHECK_INT(r.error_code, 4000);
	CHECK_INT(strlen(r.message), sizeof(r.message) - 1);
	CHECK(r.message[0] == 'x' && r.message[254] == 'x');
	CHECK_INT(strlen(r.ref_id), sizeof(r.ref_id) - 1);

	/* A multi-byte character is never cut in half; controls become
	 * spaces. */
	off = snprintf(body, 200, "{\"message\":\"ab\\nc");
	for (i = 0; i < 300; i++) {
		body[off++] = (char)0xc3;
		body[off++] = (char)0xa9;
	}
	off += snprintf(body + off, 200, "\"}");
	http_parse_error_body(body, (size_t)off, &r);
	CHECK(strncmp(r.message, "ab c\xc3\xa9", 6) == 0);
	/* "ab c" + 125 two-byte characters: the 126th would be cut. */
	CHECK_INT(strlen(r.message), 254);
	free(body);
}

static void test_http_parse_error_not_an_object(void)
{
	static const char arr[] = "[{\"errorCode\":4003}]";
	static const char str_code[] = "{\"errorCode\":\"4003\","
				       "\"message\":42,\"refId\":null}";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(arr, strlen(arr), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "unexpected JSON answer: [{\"errorCode\":4003}]");

	http_parse_error_body("42", 2, &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "unexpected JSON answer: 42");

	/* Fields of the wrong type are ignored. */
	http_parse_error_body(str_code, strlen(str_code), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "");
	CHECK_STR(r.ref_id, "");
}

/* ---- life cycle and the request path without network ---- */

static struct http_opts default_opts(void)
{
	struct http_opts o;

	memset(&o, 0, sizeof(o));
	o.timeout_s = 5;
	return o;
}

static void test_http_new_rejects_bad_opts(void)
{
	struct http_opts o;

	CHECK(http_new(NULL) == NULL);
	o = default_opts();
	o.timeout_s = 0;
	CHECK(http_new(&o) == NULL);
	o = default_opts();
	o.connect_timeout_s = -1;
	CHECK(http_new(&o) == NULL);
	o = default_opts();
	o.rate_per_min = -1;
	CHECK(http_new(&o) == NULL);
	o = default_opts();
	o.background_per_min = -1;
	CHECK(http_new(&o) == NULL);
	o = default_opts();
	o.retry_budget_ms = -1;
	CHECK(http_new(&o) == NULL);
	o = default_opts();
	o.max_attempts = -1;
	CHECK(http_new(&o) == NULL);
}

/*
 * A minimal HTTP proxy on 127.0.0.1 for test_http_new_free, in a thread:
 * it records the head of every request, answers a GET with "ok" and a
 * CONNECT with "200 Connection established" (then waits for the client to
 * give up on the tunnel). Nothing leaves the loopback interface.
 */
struct proxy {
	int fd;
	int port;
	pthread_t tid;
	pthread_mutex_t mu;
	bool stop;	 /* protected by mu */
	char seen[8192]; /* request heads, one after the other; by mu */
	size_t seen_len; /* protected by mu */
};

static void proxy_serve(struct proxy *px, int c)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
				 "Connection: close\r\n\r\nok";
	static const char tunnel[] = "HTTP/1.1 200 Connection established"
				     "\r\n\r\n";
	struct timeval tv = {.tv_sec = 5};
	char head[2048];
	size_t n = 0;
	ssize_t got;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(head) - 1) {
		got = recv(c, head + n, sizeof(head) - 1 - n, 0);
		if (got <= 0)
			break;
		n += (size_t)got;
		head[n] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	head[n] = '\0';
	pthread_mutex_lock(&px->mu);
	if (px->seen_len + n < sizeof(px->seen)) {
		memcpy(px->seen + px->seen_len, head, n + 1);
		px->seen_len += n;
	}
	pthread_mutex_unlock(&px->mu);
	if (!strncmp(head, "CONNECT ", 8)) {
		if (send(c, tunnel, sizeof(tunnel) - 1, MSG_NOSIGNAL) > 0)
			while (recv(c, head, sizeof(head), 0) > 0)
				;
	} else if (n) {
		(void)send(c, ok, sizeof(ok) - 1, MSG_NOSIGNAL);
	}
	close(c);
}

static void *proxy_main(void *arg)
{
	struct proxy *px = arg;
	struct pollfd pfd = {.fd = px->fd, .events = POLLIN};
	bool stop = false;
	int c;

	while (!stop) {
		if (poll(&pfd, 1, 50) == 1) {
			c = accept(px->fd, NULL, NULL);
			if (c >= 0)
				proxy_serve(px, c);
		}
		pthread_mutex_lock(&px->mu);
		stop = px->stop;
		pthread_mutex_unlock(&px->mu);
	}
	return NULL;
}

static int proxy_start(struct proxy *px)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(px, 0, sizeof(*px));
	pthread_mutex_init(&px->mu, NULL);
	px->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (px->fd < 0 || bind(px->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(px->fd, 8) ||
	    getsockname(px->fd, (struct sockaddr *)&sa, &len) ||
	    pthread_create(&px->tid, NULL, proxy_main, px)) {
		if (px->fd >= 0)
			close(px->fd);
		pthread_mutex_destroy(&px->mu);
		return -1;
	}
	px->port = ntohs(sa.sin_port);
	return 0;
}

static void proxy_stop(struct proxy *px)
{
	pthread_mutex_lock(&px->mu);
	px->stop = true;
	pthread_mutex_unlock(&px->mu);
	pthread_join(px->tid, NULL);
	close(px->fd);
	pthread_mutex_destroy(&px->mu);
}

static bool proxy_saw(struct proxy *px, const char *text)
{
	bool yes;

	pthread_mutex_lock(&px->mu);
	yes = strstr(px->seen, text) != NULL;
	if (!yes)
		fprintf(stderr, "  the proxy did not see \"%s\" in:\n%s\n",
			text, px->seen);
	pthread_mutex_unlock(&px->mu);
	return yes;
}

/* Overwrite and free a string the caller lent to http_new. Zeros, so a
 * use of the old memory asks for no proxy and no CA file rather than for
 * a host name made of garbage. */
static void scribble_free(char *s)
{
	if (s)
		memset(s, 0, strlen(s));
	free(s);
}

#define NEW_FREE_CA "/nonexistent/smartsheetfs-test-ca.pem"

static void test_http_new_free(void)
{
	struct http_opts o = default_opts();
	/* Port 1 on 127.0.0.1: refused at once if the proxy is not used. */
	struct http_request req = {.method = HTTP_GET,
				   .url = "http://127.0.0.1:1/new-free"};
	struct http_result r;
	struct proxy px;
	char url[64], *body = NULL, *ca, *proxy, *user, *password;
	size_t len = 0;
	struct http *h;
	bool started;

	http_free(NULL);
	h = http_new(&o);
	CHECK(h != NULL);
	CHECK_INT(http_request_count(h), 0);
	http_free(h);

	/* Strings are copied: the caller's may change or go away at once.
	 * (no_proxy in our environment would send 127.0.0.1 around it.) */
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	started = proxy_start(&px) == 0;
	CHECK(started);
	if (!started)
		return;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", px.port);
	o.ca_file = ca = strdup(NEW_FREE_CA);
	o.proxy = proxy = strdup(url);
	o.proxy_user = user = strdup("puser");
	o.proxy_password = password = strdup("pw-Secret");
	o.trace = true;
	o.rate_per_min = 290;
	CHECK(ca && proxy && user && password);
	h = ca && proxy && user && password ? http_new(&o) : NULL;
	CHECK(h != NULL);
	scribble_free(ca);
	scribble_free(proxy);
	scribble_free(user);
	scribble_free(password);
	if (!h) {
		proxy_stop(&px);
		return;
	}

	/* The request went through the proxy, with its credentials. */
	CHECK_INT(http_fetch(h, &req, &body, &len, &r), 0);
	CHECK_STR(body, "ok");
	free(body);
	CHECK(proxy_saw(&px, "GET http://127.0.0.1:1/new-free HTTP/1.1\r\n"));
	/* base64("puser:pw-Secret") */
	CHECK(proxy_saw(&px, "Proxy-Authorization: Basic "
			     "cHVzZXI6cHctU2VjcmV0\r\n"));

	/* https tunnels through the proxy, then loads the CA file: the one
	 * named before the caller's string was wiped. */
	req.url = "https://127.0.0.1:1/new-free";
	CHECK_INT(http_perform(h, &req, NULL, &r), -EIO);
	CHECK_INT(r.curl_code, CURLE_SSL_CACERT_BADFILE);
	CHECK(strstr(r.message, NEW_FREE_CA) != NULL);
	CHECK(proxy_saw(&px, "CONNECT 127.0.0.1:1 HTTP/1.1\r\n"));
	CHECK_INT(http_request_count(h), 2);
	http_free(h);
	proxy_stop(&px);
}

static int failing_reset(void *ctx)
{
	(*(int *)ctx)++;
	return -ENOSPC;
}

static void test_http_perform_local_failures(void)
{
	struct http_opts o = default_opts();
	struct http_request req = {
	    .method = HTTP_GET, .url = LOCAL_URL, .bearer = "secret-token"};
	struct http_request bad = {.method = HTTP_GET, .url = NULL};
	struct http_result r;
	int resets = 0;
	struct http_sink sink = {.reset = failing_reset, .ctx = &resets};
	char sentinel[] = "untouched";
	char *body = sentinel;
	size_t len = 77;
	struct http *h;

	o.trace = true;
	h = http_new(&o);
	CHECK(h != NULL);
	if (!h)
		return;

	memset(&r, 'x', sizeof(r));
	CHECK_INT(http_perform(h, &bad, NULL, &r), -EINVAL);
	CHECK_INT(r.status, 0);
	CHECK_INT(r.attempts, 0);
	CHECK_STR(r.message, "");

	/* A protocol outside http,https: one attempt, not retried. */
	CHECK_INT(http_perform(h, &req, NULL, &r), -EIO);
	CHECK_INT(r.attempts, 1);
	CHECK_INT(r.status, 0);
	CHECK_INT(r.curl_code, CURLE_UNSUPPORTED_PROTOCOL);
	CHECK(r.message[0] != '\0');
	CHECK(strstr(r.message, "secret-token") == NULL);
	CHECK_INT(http_request_count(h), 1);

	/* The sink's reset runs before the attempt; its errno is final. */
	CHECK_INT(http_perform(h, &req, &sink, &r), -ENOSPC);
	CHECK_INT(resets, 1);
	CHECK_INT(http_request_count(h), 1);

	/* POST with a form body goes the same way; res may be NULL. */
	req.method = HTTP_POST;
	req.bearer = NULL;
	req.form_body = "grant_type=refresh_token&refresh_token=x";
	CHECK_INT(http_perform(h, &req, NULL, NULL), -EIO);
	CHECK_INT(http_request_count(h), 2);

	/* http_fetch leaves its outputs alone on failure. */
	CHECK_INT(http_fetch(h, &req, &body, &len, &r), -EIO);
	CHECK(body == sentinel);
	CHECK_INT(len, 77);
	CHECK_INT(http_request_count(h), 3);
	http_free(h);
}

static void test_http_perform_rate_limited(void)
{
	struct http_opts o = default_opts();
	struct http_request req = {.method = HTTP_GET,
				   .url = LOCAL_URL,
				   .priority = HTTP_PRIO_BACKGROUND};
	struct http *h;
	int64_t t0, dt;
	int i;

	/* Background at 600/min: one request every 100 ms. */
	o.rate_per_min = 290;
	o.background_per_min = 600;
	h = http_new(&o);
	CHECK(h != NULL);
	if (!h)
		return;
	t0 = mono_ms();
	for (i = 0; i < 4; i++)
		CHECK_INT(http_perform(h, &req, NULL, NULL), -EIO);
	dt = mono_ms() - t0;
	CHECK(dt >= 290);
	CHECK(dt < 2000);
	CHECK_INT(http_request_count(h), 4);
	CHECK_INT(http_window_count(h), 4);
	/* Cancelled: speculative requests fail at once, users go on. */
	http_cancel_speculative(h, true);
	t0 = mono_ms();
	CHECK_INT(http_perform(h, &req, NULL, NULL), -ECANCELED);
	CHECK(mono_ms() - t0 < 50);
	/* Waiting for room takes no slot, only the pace. */
	CHECK_INT(http_wait_room(h, HTTP_PRIO_BACKGROUND), -ECANCELED);
	CHECK_INT(http_wait_room(h, HTTP_PRIO_USER), 0);
	req.priority = HTTP_PRIO_USER;
	CHECK_INT(http_perform(h, &req, NULL, NULL), -EIO);
	CHECK_INT(http_request_count(h), 5);
	CHECK_INT(http_window_count(h), 5);
	http_free(h);
}

struct worker {
	struct http *h;
	bool linger; /* stay alive until released (after http_free) */
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	bool *released;
	int *done;
	int rc[2];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct http_request req = {.method = HTTP_GET, .url = LOCAL_URL};
	int i;

	for (i = 0; i < 2; i++)
		w->rc[i] = http_perform(w->h, &req, NULL, NULL);
	if (w->linger) {
		pthread_mutex_lock(w->mu);
		(*w->done)++;
		pthread_cond_broadcast(w->cv);
		while (!*w->released)
			pthread_cond_wait(w->cv, w->mu);
		pthread_mutex_unlock(w->mu);
	}
	return NULL;
}

/*
 * Handles of threads that exit before http_free are cleaned up by the key
 * destructor, those of threads still alive by http_free, and neither twice
 * (ASan/LSan check the rest).
 */
static void test_http_thread_handles(void)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	struct http_request req = {.method = HTTP_GET, .url = LOCAL_URL};
	struct http_opts o = default_opts();
	bool released = false;
	int done = 0;
	struct worker w[4];
	pthread_t tid[4];
	struct http *h, *other;
	int i;

	h = http_new(&o);
	other = http_new(&o);
	CHECK(h != NULL && other != NULL);
	if (!h || !other) {
		http_free(h);
		http_free(other);
		return;
	}
	CHECK_INT(http_perform(other, &req, NULL, NULL), -EIO);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){.h = h,
				       .linger = i >= 2,
				       .mu = &mu,
				       .cv = &cv,
				       .released = &released,
				       .done = &done};
		CHECK_INT(pthread_create(&tid[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	/* Wait until the lingering threads are done with h. */
	pthread_mutex_lock(&mu);
	while (done < 2)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	CHECK_INT(http_request_count(h), 8);
	http_free(h);

	pthread_mutex_lock(&mu);
	released = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (i = 2; i < 4; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < 4; i++) {
		CHECK_INT(w[i].rc[0], -EIO);
		CHECK_INT(w[i].rc[1], -EIO);
	}
	/* The other object's handle in this thread is still usable. */
	CHECK_INT(http_perform(other, &req, NULL, NULL), -EIO);
	CHECK_INT(http_request_count(other), 2);
	http_free(other);
}

static void test_http_escape(void)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"", ""},
	    {"AZaz09-._~", "AZaz09-._~"},
	    {"a b&c=d/e", "a%20b%26c%3Dd%2Fe"},
	    {"READ_SHEETS WRITE_SHEETS", "READ_SHEETS%20WRITE_SHEETS"},
	    {"http://127.0.0.1:8080/cb?x=1",
	     "http%3A%2F%2F127.0.0.1%3A8080%2Fcb%3Fx%3D1"},
	    {"\xc3\xa9+%", "%C3%A9%2B%25"},
	};
	size_t i;
	char *e;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		e = http_escape(cases[i].in);
		CHECK_STR(e, cases[i].want);
		free(e);
	}
	CHECK(http_escape(NULL) == NULL);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	T(test_http_status_to_errno);
	T(test_http_curlcode_to_errno);
	T(test_http_is_retryable);
	T(test_http_backoff_ms);
	T(test_http_window_fills_then_slides);
	T(test_http_window_priorities);
	T(test_http_window_background_pace);
	T(test_http_window_room_takes_no_slot);
	T(test_http_window_unlimited_and_hold);
	T(test_http_window_never_exceeds_the_limit);
	T(test_http_parse_error_documented);
	T(test_http_parse_error_ref_id_number);
	T(test_http_parse_error_oauth);
	T(test_http_parse_error_html);
	T(test_http_parse_error_truncated_json);
	T(test_http_parse_error_empty);
	T(test_http_parse_error_huge_fields);
	T(test_http_parse_error_not_an_object);
	T(test_http_new_rejects_bad_opts);
	T(test_http_new_free);
	T(test_http_perform_local_failures);
	T(test_http_perform_rate_limited);
	T(test_http_thread_handles);
	T(test_http_escape);
	curl_global_cleanup();
	return t_run();
}
