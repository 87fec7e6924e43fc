#include "auth/callback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tests/unit/testlib.h"
#include "util/clock.h"
#include "util/compat.h"
#include "util/sbuf.h"

/* The state the listeners wait for, as a login's authorization URL says. */
#define STATE "5f0c8e2a9b7d41c3a6e8f0b2d4c6e8a1"

/* The "browser": libcurl against the listener, never through a proxy. */
struct page {
	long status;
	struct sbuf body;
	struct sbuf headers;
};

static size_t on_data(char *p, size_t sz, size_t n, void *sb)
{
	return sbuf_add(sb, p, sz * n) ? 0 : sz * n;
}

/* A form body bigger than MHD's connection memory, never read. */
static const char *big_form(void)
{
	static char form[256 * 1024];

	if (!form[0]) {
		memset(form, 'x', sizeof(form) - 1);
		memcpy(form, "code=abc&pad=", 13);
	}
	return form;
}

static void page_release(struct page *pg)
{
	sbuf_release(&pg->body);
	sbuf_release(&pg->headers);
}

/* GET (or method) host:port path; 0 or the CURLcode. */
static int fetch_host(const char *host, int port, const char *path,
		      const char *method, struct page *pg)
{
	CURL *c = curl_easy_init();
	char url[256];
	CURLcode cc;

	pg->status = 0;
	sbuf_init(&pg->body, 1 << 20);
	sbuf_init(&pg->headers, 1 << 20);
	if (!c)
		return CURLE_OUT_OF_MEMORY;
	snprintf(url, sizeof(url), "http://%s:%d%s", host, port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &pg->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &pg->headers);
	if (method && strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (method && strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, big_form());
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &pg->status);
	curl_easy_cleanup(c);
	return (int)cc;
}

static int fetch(int port, const char *path, const char *method,
		 struct page *pg)
{
	return fetch_host("127.0.0.1", port, path, method, pg);
}

static bool has(const struct page *pg, const char *s)
{
	return strstr(pg->body.buf, s) != NULL;
}

static struct callback *start_ok(const char *url)
{
	struct callback *cb = NULL;
	char err[256] = "";

	CHECK_INT(callback_start(url, STATE, &cb, err, sizeof(err)), 0);
	if (!cb)
		fprintf(stderr, "  callback_start: %s\n", err);
	CHECK(cb == NULL || callback_port(cb) > 0);
	return cb;
}

static void test_callback_code(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/callback");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(fetch(callback_port(cb),
			"/callback?code=abc&state=" STATE "&expires_in=599135",
			NULL, &pg),
		  0);
	CHECK_INT(pg.status, 200);
	CHECK(has(&pg, "close this tab"));
	CHECK(!has(&pg, "abc"));
	CHECK(strcasestr(pg.headers.buf,
			 "Content-Type: text/html; charset=utf-8") != NULL);
	CHECK(strcasestr(pg.headers.buf, "Cache-Control: no-store") != NULL);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.code, "abc");
	CHECK_STR(q.state, STATE);
	CHECK_STR(q.expires_in, "599135");
	CHECK(q.error == NULL);
	callback_query_release(&q);
	CHECK(q.code == NULL && q.state == NULL);
	callback_query_release(&q);
	callback_stop(cb);
}

static void test_callback_error(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(fetch(callback_port(cb),
			"/cb?error=access_denied&state=" STATE, NULL, &pg),
		  0);
	CHECK_INT(pg.status, 200);
	CHECK(has(&pg, "access_denied"));
	CHECK(has(&pg, "did not happen"));
	CHECK(!has(&pg, "close this tab"));
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.error, "access_denied");
	CHECK_STR(q.state, STATE);
	CHECK(q.code == NULL);
	callback_query_release(&q);
	callback_stop(cb);
}

static void test_callback_error_escaped(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(fetch(callback_port(cb),
			"/cb?error=%3Cscript%3Ealert(%22x%22)%26%3C%2Fscript%3E"
			"&state=" STATE,
			NULL, &pg),
		  0);
	CHECK_INT(pg.status, 200);
	CHECK(!has(&pg, "<script>"));
	CHECK(has(&pg, "&lt;script&gt;alert(&quot;x&quot;)&amp;&lt;/script"));
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.error, "<script>alert(\"x\")&</script>");
	callback_query_release(&q);
	callback_stop(cb);
}

/*
 * What a browser (or an intruder) does while callback_wait blocks in
 * another thread: GET each path in turn, 50 ms apart.
 */
struct browse {
	int port;
	const char *path[4]; /* up to 4; NULL ends */
	const char *want[4]; /* text the page must hold, or NULL */
	long status[4];	     /* -1 when the request failed */
	bool page_ok[4];     /* the page holds want[i] */
};

static void *browse_in_turn(void *arg)
{
	struct browse *b = arg;
	struct page pg;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(b->path) && b->path[i]; i++) {
		usleep(50 * 1000);
		b->status[i] =
		    fetch(b->port, b->path[i], NULL, &pg) ? -1 : pg.status;
		b->page_ok[i] = !b->want[i] || has(&pg, b->want[i]);
		page_release(&pg);
	}
	return NULL;
}

static void test_callback_400_keeps_waiting(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	struct browse b = {
	    .path = {"/cb?state=only", "/cb?code=later&state=" STATE},
	    .want = {NULL, "close this tab"},
	};
	struct page pg;
	pthread_t t;

	if (!cb)
		return;
	/* Sequential: a 400 does not end the wait. */
	CHECK_INT(fetch(callback_port(cb), "/cb", NULL, &pg), 0);
	CHECK_INT(pg.status, 400);
	CHECK(!has(&pg, "close this tab"));
	page_release(&pg);
	CHECK_INT(fetch(callback_port(cb), "/cb?code=&state=x", NULL, &pg), 0);
	CHECK_INT(pg.status, 400);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 200, &q), -ETIMEDOUT);
	CHECK(q.code == NULL);

	/*
	 * Concurrent: the waiter sleeps through the 400 and wakes on the
	 * code. Stopping at once must not cut off the browser's page.
	 */
	b.port = callback_port(cb);
	CHECK_INT(pthread_create(&t, NULL, browse_in_turn, &b), 0);
	CHECK_INT(callback_wait(cb, 5000, &q), 0);
	callback_stop(cb);
	pthread_join(t, NULL);
	CHECK_INT(b.status[0], 400);
	CHECK_INT(b.status[1], 200);
	CHECK(b.page_ok[1]);
	CHECK_STR(q.code, "later");
	CHECK_STR(q.state, STATE);
	callback_query_release(&q);
}

/*
 * Only the redirect that carries this login's state ends the wait: a code
 * or an error from anyone else (a local process, a web page in the same
 * browser) gets 400 and the login keeps waiting.
 */
static void test_callback_only_our_state_ends_the_wait(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	struct browse b = {
	    .path = {"/cb?code=evil&state=" STATE "0", "/cb?code=evil",
		     "/cb?error=access_denied&state=other",
		     "/cb?code=right&state=" STATE},
	    .want = {"state", "state", "state", "close this tab"},
	};
	struct page pg;
	pthread_t t;

	if (!cb)
		return;
	/* Sequential: none of them is handed over. */
	CHECK_INT(fetch(callback_port(cb), "/cb?code=evil&state=x", NULL, &pg),
		  0);
	CHECK_INT(pg.status, 400);
	page_release(&pg);
	CHECK_INT(fetch(callback_port(cb), "/cb?code=evil", "HEAD", &pg), 0);
	CHECK_INT(pg.status, 400);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 200, &q), -ETIMEDOUT);
	CHECK(q.code == NULL && q.error == NULL);

	/* While the login waits: wrong state, no state, then ours. */
	b.port = callback_port(cb);
	CHECK_INT(pthread_create(&t, NULL, browse_in_turn, &b), 0);
	CHECK_INT(callback_wait(cb, 5000, &q), 0);
	pthread_join(t, NULL);
	CHECK_INT(b.status[0], 400);
	CHECK_INT(b.status[1], 400);
	CHECK_INT(b.status[2], 400);
	CHECK_INT(b.status[3], 200);
	CHECK(b.page_ok[0] && b.page_ok[1] && b.page_ok[2] && b.page_ok[3]);
	CHECK_STR(q.code, "right");
	CHECK_STR(q.state, STATE);
	CHECK(q.error == NULL);
	callback_query_release(&q);
	/* Later intruders still get 400, not "already finished". */
	CHECK_INT(fetch(callback_port(cb), "/cb?code=late&state=x", NULL, &pg),
		  0);
	CHECK_INT(pg.status, 400);
	page_release(&pg);
	callback_stop(cb);
}

static void test_callback_needs_a_state(void)
{
	struct callback *cb = NULL;
	char err[256] = "";

	CHECK_INT(callback_start("http://127.0.0.1:0/cb", NULL, &cb, err,
				 sizeof(err)),
		  -EINVAL);
	CHECK(cb == NULL && err[0]);
	CHECK_INT(
	    callback_start("http://127.0.0.1:0/cb", "", &cb, err, sizeof(err)),
	    -EINVAL);
	CHECK(cb == NULL);
}

static void test_callback_wrong_path_and_method(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(fetch(callback_port(cb), "/other?code=abc", NULL, &pg), 0);
	CHECK_INT(pg.status, 404);
	page_release(&pg);
	CHECK_INT(fetch(callback_port(cb), "/cb/x?code=abc", NULL, &pg), 0);
	CHECK_INT(pg.status, 404);
	page_release(&pg);
	CHECK_INT(fetch(callback_port(cb), "/cb?code=abc", "POST", &pg), 0);
	CHECK_INT(pg.status, 405);
	CHECK(strcasestr(pg.headers.buf, "Allow: GET, HEAD") != NULL);
	page_release(&pg);
	/* HEAD is answered like GET but does not count. */
	CHECK_INT(
	    fetch(callback_port(cb), "/cb?code=abc&state=" STATE, "HEAD", &pg),
	    0);
	CHECK_INT(pg.status, 200);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 200, &q), -ETIMEDOUT);
	CHECK(q.code == NULL);
	callback_stop(cb);
}

static void test_callback_default_path(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(fetch(callback_port(cb), "/x?code=1", NULL, &pg), 0);
	CHECK_INT(pg.status, 404);
	page_release(&pg);
	CHECK_INT(fetch(callback_port(cb), "/?code=1&state=" STATE, NULL, &pg),
		  0);
	CHECK_INT(pg.status, 200);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.code, "1");
	callback_query_release(&q);
	callback_stop(cb);
}

static void test_callback_second_request(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(
	    fetch(callback_port(cb), "/cb?code=first&state=" STATE, NULL, &pg),
	    0);
	CHECK_INT(pg.status, 200);
	page_release(&pg);
	/* Before and after the waiter took the first one. */
	CHECK_INT(
	    fetch(callback_port(cb), "/cb?code=second&state=" STATE, NULL, &pg),
	    0);
	CHECK(has(&pg, "already finished"));
	CHECK(!has(&pg, "second"));
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.code, "first");
	callback_query_release(&q);
	CHECK_INT(fetch(callback_port(cb),
			"/cb?error=access_denied&state=" STATE, NULL, &pg),
		  0);
	CHECK(has(&pg, "already finished"));
	CHECK(!has(&pg, "access_denied"));
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 100, &q), -ETIMEDOUT);
	callback_stop(cb);
}

static void test_callback_timeout(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	int64_t t0, dt;

	if (!cb)
		return;
	t0 = clock_mono_ms();
	CHECK_INT(callback_wait(cb, 200, &q), -ETIMEDOUT);
	dt = clock_mono_ms() - t0;
	if (dt < 150 || dt > 2000)
		fprintf(stderr, "  waited %" PRId64 " ms\n", dt);
	CHECK(dt >= 150 && dt <= 2000);
	CHECK(q.code == NULL && q.state == NULL && q.error == NULL);
	callback_stop(cb);
}

static void *cancel_later(void *arg)
{
	usleep(100 * 1000);
	callback_cancel(arg);
	return NULL;
}

static void test_callback_cancel(void)
{
	struct callback *cb = start_ok("http://127.0.0.1:0/cb");
	struct callback_query q = {0};
	pthread_t t;
	int64_t t0, dt;

	if (!cb)
		return;
	t0 = clock_mono_ms();
	CHECK_INT(pthread_create(&t, NULL, cancel_later, cb), 0);
	CHECK_INT(callback_wait(cb, 5000, &q), -EINTR);
	dt = clock_mono_ms() - t0;
	pthread_join(t, NULL);
	CHECK(dt >= 90 && dt < 1000);
	/* Sticky: the next wait ends at once too. */
	CHECK_INT(callback_wait(cb, 5000, &q), -EINTR);
	CHECK(q.code == NULL);
	callback_stop(cb);
}

static void test_callback_rejects_urls(void)
{
	static const char *bad[] = {
	    "http://example.com:8080/cb",
	    "http://0.0.0.0:1/",
	    "https://localhost:8080/cb",
	    "https://127.0.0.1:0/cb",
	    "http://10.0.0.1:8080/",
	    "http://[::]:8080/",
	    "http://[::ffff:127.0.0.1]:8080/",
	    "http://localhost.example.com/",
	    "ftp://localhost/",
	    "not a url",
	    "",
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		struct callback *cb = NULL;
		char err[256] = "";
		int rc = callback_start(bad[i], STATE, &cb, err, sizeof(err));

		if (rc != -EINVAL)
			fprintf(stderr, "  url \"%s\"\n", bad[i]);
		CHECK_INT(rc, -EINVAL);
		CHECK(cb == NULL);
		CHECK(err[0] != '\0');
		callback_stop(cb);
	}
}

static void test_callback_port_in_use(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct callback *cb = NULL;
	char url[64], want[16], err[256] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	CHECK(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_INT(listen(fd, 1), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/cb", port);
	snprintf(want, sizeof(want), "%d", port);
	CHECK_INT(callback_start(url, STATE, &cb, err, sizeof(err)),
		  -EADDRINUSE);
	CHECK(cb == NULL);
	if (!strstr(err, want) || !strstr(err, "CallbackURL"))
		fprintf(stderr, "  message: %s\n", err);
	CHECK(strstr(err, want) != NULL);
	CHECK(strstr(err, "CallbackURL") != NULL);
	/* localhost takes 127.0.0.1 too, so it is busy the same way. */
	snprintf(url, sizeof(url), "http://localhost:%d/cb", port);
	CHECK_INT(callback_start(url, STATE, &cb, err, sizeof(err)),
		  -EADDRINUSE);
	CHECK(strstr(err, want) != NULL);
	callback_stop(cb);
	close(fd);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sa;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void test_callback_localhost(void)
{
	struct callback *cb = start_ok("http://localhost:0/cb");
	struct callback_query q = {0};
	struct page pg;

	if (!cb)
		return;
	CHECK_INT(
	    fetch(callback_port(cb), "/cb?code=lh&state=" STATE, NULL, &pg), 0);
	CHECK_INT(pg.status, 200);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.code, "lh");
	callback_query_release(&q);
	/* 127.0.0.1 exactly, not a wildcard: 127.0.0.2 is refused. */
	CHECK(fetch_host("127.0.0.2", callback_port(cb), "/cb", NULL, &pg) !=
	      0);
	page_release(&pg);
	/* A browser that resolves localhost to ::1 reaches the same one. */
	if (have_ipv6_loopback()) {
		CHECK_INT(fetch_host("[::1]", callback_port(cb),
				     "/cb?code=v6&state=" STATE, NULL, &pg),
			  0);
		CHECK_INT(pg.status, 200);
		CHECK(has(&pg, "already finished"));
		page_release(&pg);
	} else {
		fprintf(stderr, "  (no IPv6 loopback: ::1 not checked)\n");
	}
	callback_stop(cb);
}

static void test_callback_ipv6_literal(void)
{
	struct callback *cb;
	struct callback_query q = {0};
	struct page pg;

	if (!have_ipv6_loopback())
		return;
	cb = start_ok("http://[::1]:0/cb");
	if (!cb)
		return;
	CHECK_INT(fetch_host("[::1]", callback_port(cb),
			     "/cb?code=six&state=" STATE, NULL, &pg),
		  0);
	CHECK_INT(pg.status, 200);
	page_release(&pg);
	/* Bound to ::1 only. */
	CHECK(fetch(callback_port(cb), "/cb?code=four", NULL, &pg) != 0);
	page_release(&pg);
	CHECK_INT(callback_wait(cb, 2000, &q), 0);
	CHECK_STR(q.code, "six");
	callback_query_release(&q);
	callback_stop(cb);
}

static void test_callback_stop_null(void)
{
	struct callback *cb = start_ok("http://127.0.0.2:0/");
	struct page pg;
	int port;

	callback_stop(NULL);
	if (!cb)
		return;
	port = callback_port(cb);
	CHECK_INT(fetch_host("127.0.0.2", port, "/", NULL, &pg), 0);
	CHECK_INT(pg.status, 400);
	page_release(&pg);
	/* Bound to 127.0.0.2 only, never a wildcard. */
	CHECK(fetch(port, "/?code=x", NULL, &pg) != 0);
	page_release(&pg);
	callback_stop(cb);
	/* Gone after stop. */
	CHECK(fetch_host("127.0.0.2", port, "/?code=x", NULL, &pg) != 0);
	page_release(&pg);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	T(test_callback_code);
	T(test_callback_error);
	T(test_callback_error_escaped);
	T(test_callback_400_keeps_waiting);
	T(test_callback_only_our_state_ends_the_wait);
	T(test_callback_needs_a_state);
	T(test_callback_wrong_path_and_method);
	T(test_callback_default_path);
	T(test_callback_second_request);
	T(test_callback_timeout);
	T(test_callback_cancel);
	T(test_callback_rejects_urls);
	T(test_callback_port_in_use);
	T(test_callback_localhost);
	T(test_callback_ipv6_literal);
	T(test_callback_stop_null);
	curl_global_cleanup();
	return t_run();
}
