/*
 * http/http.c and http/transport.c without a network: options, the life
 * cycle, requests that fail before they leave the machine, the window and
 * cancel around them, and the per-thread handles (run under TSan too).
 */
#include "http/http.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http/window.h"
#include "tests/unit/testlib.h"

/* Rejected by CURLOPT_PROTOCOLS_STR before anything is opened: exercises the
 * whole request path without any network. */
#define LOCAL_URL "file:///nonexistent/smartsheetfs-test"

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

/* The backoff scale (SSFS_BACKOFF_SCALE, read in cmd/): 0 to 1000 when
 * set; anything goes when it is not. */
static void test_http_new_backoff_scale(void)
{
	static const struct {
		bool set;
		double scale;
		bool ok;
	} cases[] = {
	    {false, 0.0, true},		{false, -1.0, true},
	    {true, 0.0, true},		{true, 0.01, true},
	    {true, 1.0, true},		{true, 1000.0, true},
	    {true, -0.001, false},	{true, 1000.5, false},
	    {true, (double)NAN, false}, {true, (double)INFINITY, false},
	};
	struct http_opts o;
	struct http *h;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		o = default_opts();
		o.backoff_scale_set = cases[i].set;
		o.backoff_scale = cases[i].scale;
		h = http_new(&o);
		if ((h != NULL) != cases[i].ok)
			fprintf(stderr, "  set %d scale %g\n", cases[i].set,
				cases[i].scale);
		CHECK_INT(h != NULL, cases[i].ok);
		http_free(h);
	}
}

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
	t0 = clock_mono_ms();
	for (i = 0; i < 4; i++)
		CHECK_INT(http_perform(h, &req, NULL, NULL), -EIO);
	dt = clock_mono_ms() - t0;
	CHECK(dt >= 290);
	CHECK(dt < 2000);
	CHECK_INT(http_request_count(h), 4);
	CHECK_INT(http_window_count(h), 4);
	/* Cancelled: speculative requests fail at once, users go on. */
	http_cancel_speculative(h, true);
	t0 = clock_mono_ms();
	CHECK_INT(http_perform(h, &req, NULL, NULL), -ECANCELED);
	CHECK(clock_mono_ms() - t0 < 50);
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
	T(test_http_new_rejects_bad_opts);
	T(test_http_new_backoff_scale);
	T(test_http_new_free);
	T(test_http_perform_local_failures);
	T(test_http_perform_rate_limited);
	T(test_http_thread_handles);
	T(test_http_escape);
	curl_global_cleanup();
	return t_run();
}
