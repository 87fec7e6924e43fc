#include "http/http.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/secret.h"

#define HTTP_DEFAULT_BUDGET_MS 15000L
#define HTTP_DEFAULT_ATTEMPTS 6
#define HTTP_DEFAULT_MAX_BODY_BYTES ((size_t)64 << 20)
#define HTTP_MAX_CONNECT_TIMEOUT_S 15L
#define HTTP_MAX_TIMEOUT_S 86400L
#define HTTP_BACKOFF_CAP_MS 30000L
#define HTTP_ERR_BODY_MAX_BYTES ((size_t)64 << 10)
#define HTTP_SNIPPET_BYTES 80
#define HTTP_KEEPIDLE_S 60L
#define HTTP_KEEPINTVL_S 30L
/* Smartsheet counts 300 requests a minute by arrival; our stamps are taken
 * before sending, so the window is a second longer than the server's. */
#define HTTP_WINDOW_SPAN_MS 61000L
#define HTTP_HOLD_AFTER_429_MS 2000L

/*
 * One easy handle per (thread, struct http). The pthread key destructor
 * runs when a thread exits; http_free cleans up the handles of threads that
 * are still alive. Both look the node up in one process-wide registry under
 * reg_lock, so exactly one of them cleans it up. The registry is global
 * rather than in struct http because a destructor that is already running
 * when http_free starts must not touch the (soon freed) struct http.
 */
struct thread_handle {
	CURL *curl;
	const struct http *owner;
	pthread_t thread;
	struct thread_handle *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_handle *reg_head; /* protected by reg_lock */

struct http {
	long timeout_ms;
	long connect_timeout_ms;
	long budget_ms;
	int max_attempts;
	size_t max_body_bytes;
	char *ca_file;
	char *proxy;
	long proxy_port;
	char *proxy_user;
	char *proxy_password; /* secret: wiped */
	bool trace;
	double backoff_scale;
	pthread_key_t key;
	pthread_mutex_t lock;
	pthread_cond_t wake;	   /* the window changed or cancel was set */
	struct http_window window; /* protected by lock */
	atomic_bool cancel;	   /* fail AHEAD and BACKGROUND requests */
	atomic_uint_least64_t requests;
	/* Set when a request gave up on connection-level failures, cleared
	 * by any answer: while the server is unreachable, each request
	 * makes one attempt instead of a run of retries, so an offline
	 * mount answers at once instead of after seconds of backoff. */
	atomic_bool unreachable;
};

/* A failure that says nothing came back from the server at all. */
static bool connection_failure(const struct http_result *r)
{
	return r->status == 0 && r->curl_code != CURLE_OK &&
	       r->curl_code != CURLE_OPERATION_TIMEDOUT &&
	       r->curl_code != CURLE_ABORTED_BY_CALLBACK &&
	       r->curl_code != CURLE_WRITE_ERROR;
}

/* The state of one attempt, shared with the write callback. */
struct xfer {
	const struct http *h;
	CURL *curl;
	const struct http_sink *sink;
	long status;	   /* known once the first body bytes arrive */
	size_t body_bytes; /* of a 2xx body */
	int sink_rc;	   /* why the callback aborted a 2xx body */
	struct sbuf err;   /* body of a non-2xx answer, capped */
	bool err_full;	   /* the cap was hit; the callback stopped */
	bool speculative;  /* a cancel stops it */
};

static void sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Jitter in [0, 1): a per-thread xorshift, seeded from the clock. */
static double rnd_unit(void)
{
	static _Thread_local uint64_t state;
	struct timespec ts;

	if (!state) {
		clock_gettime(CLOCK_REALTIME, &ts);
		state = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
			(uint64_t)(uintptr_t)&state;
		if (!state)
			state = 0x9e3779b97f4a7c15ULL;
	}
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (double)(state >> 11) * 0x1.0p-53;
}

static const char *method_name(enum http_method m)
{
	return m == HTTP_POST ? "POST" : "GET";
}

/*
 * Copy src (n bytes, not necessarily NUL-terminated) into dst, replacing
 * control characters with spaces and cutting at a UTF-8 character boundary
 * when it does not fit.
 */
static void copy_text(char *dst, size_t size, const char *src, size_t n)
{
	size_t i;

	if (!size)
		return;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[n] = '\0';
}

static void copy_str(char *dst, size_t size, const char *src)
{
	copy_text(dst, size, src, strlen(src));
}

/* ---- pure helpers ---- */

int http_status_to_errno(long status, bool is_write)
{
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 400:
		return is_write ? -EINVAL : -EIO;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	default:
		/* 410 (API version retired), 429 and 5xx after retries, 3xx
		 * (redirects are not followed) and anything else. */
		return -EIO;
	}
}

int http_curlcode_to_errno(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_FILESIZE_EXCEEDED:
#if LIBCURL_VERSION_NUM >= 0x080600
	case CURLE_TOO_LARGE:
#endif
		return -EFBIG;
	default:
		/* COULDNT_RESOLVE_HOST and COULDNT_CONNECT included: -ENOTCONN
		 * reads as a dead mount. WRITE_ERROR is our own sink's abort;
		 * http_perform returns the sink's errno instead. */
		return -EIO;
	}
}

static bool curlcode_retryable(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

bool http_is_retryable(long status, int error_code, CURLcode code)
{
	if (code != CURLE_OK)
		return curlcode_retryable(code);
	if (status == 429)
		return true;
	/* Decided from Smartsheet's errorCode when there is one (the SDKs
	 * retry exactly these; 4000 and 4005 are final). */
	if (error_code >= 4001 && error_code <= 4004)
		return true;
	if (error_code != 0)
		return false;
	/* A gateway's answer without a Smartsheet errorCode. A bare 500 is
	 * not retried: Smartsheet's own 500s carry an errorCode. */
	return status == 502 || status == 503 || status == 504;
}

long http_backoff_ms(int n, double rnd)
{
	long base, jitter;

	if (n < 1)
		n = 1;
	if (n > 16)
		n = 16;
	if (!(rnd >= 0.0))
		rnd = 0.0;
	if (rnd >= 1.0)
		rnd = 0.999;
	base = (1L << n) * 1000L;
	jitter = (long)(rnd * 1000.0);
	if (base + jitter > HTTP_BACKOFF_CAP_MS)
		return HTTP_BACKOFF_CAP_MS;
	return base + jitter;
}

/* "non-JSON answer: <first bytes>", whitespace and controls collapsed. */
static void describe_body(const char *prefix, const char *body, size_t len,
			  struct http_result *res)
{
	char snip[HTTP_SNIPPET_BYTES + 1];
	size_t i, n = 0;
	bool space = false;

	for (i = 0; i < len && n < HTTP_SNIPPET_BYTES; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c <= 0x20 || c == 0x7f) {
			space = n > 0;
			continue;
		}
		if (space) {
			snip[n++] = ' ';
			space = false;
			if (n == HTTP_SNIPPET_BYTES)
				break;
		}
		snip[n++] = c < 0x80 ? (char)c : '?';
	}
	snip[n] = '\0';
	snprintf(res->message, sizeof(res->message), "%s%s%s", prefix,
		 n ? ": " : "", snip);
}

static void copy_ref_id(const cJSON *item, struct http_result *res)
{
	double v;

	if (cJSON_IsString(item) && item->valuestring) {
		copy_str(res->ref_id, sizeof(res->ref_id), item->valuestring);
	} else if (cJSON_IsNumber(item)) {
		v = item->valuedouble;
		if (v == floor(v) && fabs(v) < 9.0e15)
			snprintf(res->ref_id, sizeof(res->ref_id), "%lld",
				 (long long)v);
		else
			snprintf(res->ref_id, sizeof(res->ref_id), "%.17g", v);
	}
}

void http_parse_error_body(const char *body, size_t len,
			   struct http_result *res)
{
	cJSON *root = NULL;
	const cJSON *item;
	double v;

	res->error_code = 0;
	res->message[0] = '\0';
	res->ref_id[0] = '\0';
	res->oauth_error[0] = '\0';
	if (!body || !len)
		goto out;
	root = cJSON_ParseWithLength(body, len);
	if (!root) {
		describe_body("non-JSON answer", body, len, res);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		describe_body("unexpected JSON answer", body, len, res);
		goto out;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "errorCode");
	if (cJSON_IsNumber(item)) {
		v = item->valuedouble;
		if (v >= 0 && v <= INT_MAX)
			res->error_code = (int)v;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(item) && item->valuestring)
		copy_str(res->message, sizeof(res->message), item->valuestring);
	copy_ref_id(cJSON_GetObjectItemCaseSensitive(root, "refId"), res);
	item = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsString(item) && item->valuestring)
		copy_str(res->oauth_error, sizeof(res->oauth_error),
			 item->valuestring);
	item = cJSON_GetObjectItemCaseSensitive(root, "error_description");
	if (!res->message[0] && cJSON_IsString(item) && item->valuestring)
		copy_str(res->message, sizeof(res->message), item->valuestring);
out:
	cJSON_Delete(root);
}

/* ---- the request budget (http/ratelimit.c) ---- */

/*
 * Blocks until the window lets priority p send (and, with slot, records
 * the request). The lock is released while waiting; a cancel wakes AHEAD
 * and BACKGROUND waiters, which then give up. Returns 0 or -ECANCELED.
 */
static int rate_wait(struct http *h, enum http_priority p, bool slot)
{
	struct timespec until;
	long wait;
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		if (p != HTTP_PRIO_USER && atomic_load(&h->cancel)) {
			rc = -ECANCELED;
			break;
		}
		wait = slot ? http_window_take(&h->window, p, clock_mono_ms())
			    : http_window_room(&h->window, p, clock_mono_ms());
		if (!wait)
			break;
		/* No background pace: wait for one to be set (or cancel). */
		if (wait < 0)
			wait = 60000;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += wait / 1000;
		until.tv_nsec += (wait % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->wake, &h->lock, &until);
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int http_wait_room(struct http *h, enum http_priority p)
{
	return rate_wait(h, p, false);
}

/* After a 429 every thread should pause, not only the one that got it: our
 * count and the server's disagree (another client shares the token). */
static void rate_hold(struct http *h)
{
	pthread_mutex_lock(&h->lock);
	http_window_hold(&h->window, clock_mono_ms() + HTTP_HOLD_AFTER_429_MS);
	pthread_mutex_unlock(&h->lock);
}

void http_set_background_rate(struct http *h, int per_min)
{
	pthread_mutex_lock(&h->lock);
	http_window_set_background(&h->window, per_min);
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

void http_cancel_speculative(struct http *h, bool on)
{
	pthread_mutex_lock(&h->lock);
	atomic_store(&h->cancel, on);
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

int http_window_count(struct http *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->window.limit ? http_window_used(&h->window, clock_mono_ms())
			    : -1;
	pthread_mutex_unlock(&h->lock);
	return n;
}

static bool cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	bool ok;

	if (pthread_condattr_init(&attr) != 0)
		return false;
	ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(cond, &attr) == 0;
	pthread_condattr_destroy(&attr);
	return ok;
}

/* ---- handles ---- */

static void handle_destroy(void *p)
{
	struct thread_handle **pp, *found = NULL;

	pthread_mutex_lock(&reg_lock);
	for (pp = &reg_head; *pp; pp = &(*pp)->next) {
		if (*pp == p && pthread_equal((*pp)->thread, pthread_self())) {
			found = *pp;
			*pp = found->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	/* Not found: http_free already cleaned it up. */
	if (found) {
		curl_easy_cleanup(found->curl);
		free(found);
	}
}

static CURL *handle_get(struct http *h)
{
	struct thread_handle *t = pthread_getspecific(h->key);

	if (t)
		return t->curl;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->curl = curl_easy_init();
	if (!t->curl) {
		free(t);
		return NULL;
	}
	t->owner = h;
	t->thread = pthread_self();
	pthread_mutex_lock(&reg_lock);
	t->next = reg_head;
	reg_head = t;
	pthread_mutex_unlock(&reg_lock);
	if (pthread_setspecific(h->key, t) != 0) {
		handle_destroy(t);
		return NULL;
	}
	return t->curl;
}

/* ---- one attempt ---- */

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb, avail;
	int rc;

	if (!x->status)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status >= 200 && x->status < 300) {
		if (x->speculative && atomic_load(&x->h->cancel)) {
			x->sink_rc = -ECANCELED;
			return 0;
		}
		if (n > x->h->max_body_bytes - x->body_bytes) {
			x->sink_rc = -EFBIG;
			return 0;
		}
		x->body_bytes += n;
		if (x->sink && x->sink->write) {
			rc = x->sink->write(x->sink->ctx, data, n);
			if (rc) {
				x->sink_rc = rc < 0 ? rc : -EIO;
				return 0;
			}
		}
		return n;
	}
	/* An error answer: keep what fits, then stop reading. */
	avail = HTTP_ERR_BODY_MAX_BYTES - x->err.len;
	if (n > avail) {
		if (sbuf_add(&x->err, data, avail))
			sbuf_reset(&x->err);
		x->err_full = true;
		return 0;
	}
	if (sbuf_add(&x->err, data, n)) {
		x->err_full = true;
		return 0;
	}
	return n;
}

/* A speculative request (read-ahead, warm-up) gives up at once when cancel
 * is set, also while it connects or waits for the first byte. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = userp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (atomic_load(&x->h->cancel)) {
		x->sink_rc = -ECANCELED;
		return 1;
	}
	return 0;
}

/* Log the request headers for trace=http, with the credentials redacted.
 * Bodies are never logged: /token requests and answers carry secrets. */
static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size,
		    void *userp)
{
	const char *p = data, *end = data + size, *nl;
	const char *dir;
	int len;

	(void)curl;
	(void)userp;
	if (type == CURLINFO_HEADER_OUT)
		dir = ">";
	else if (type == CURLINFO_HEADER_IN)
		dir = "<";
	else if (type == CURLINFO_TEXT)
		dir = "*";
	else
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		len = (int)(nl - p > 1024 ? 1024 : nl - p);
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		if (len == 0) {
			/* blank line */
		} else if (len >= 14 && !strncasecmp(p, "authorization:", 14)) {
			log_debug("http %s Authorization: Bearer (redacted)",
				  dir);
		} else if (len >= 20 &&
			   !strncasecmp(p, "proxy-authorization:", 20)) {
			log_debug("http %s Proxy-Authorization: (redacted)",
				  dir);
		} else {
			log_debug("http %s %.*s", dir, len, p);
		}
		p = nl + 1;
	}
	return 0;
}

/* Wipe every header (one holds the token) before freeing the list. */
static void headers_free(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l; l = l->next)
		if (l->data)
			OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static int headers_build(const struct http_request *req,
			 struct curl_slist **out)
{
	struct curl_slist *list = NULL, *tmp;
	char *auth = NULL;
	size_t n;
	int rc = -ENOMEM;

	tmp = curl_slist_append(list, "Accept: application/json");
	if (!tmp)
		goto out;
	list = tmp;
	if (req->method == HTTP_POST && req->form_body) {
		tmp = curl_slist_append(list,
					"Content-Type: "
					"application/x-www-form-urlencoded");
		if (!tmp)
			goto out;
		list = tmp;
	}
	if (req->bearer) {
		n = strlen("Authorization: Bearer ") + strlen(req->bearer) + 1;
		auth = malloc(n);
		if (!auth)
			goto out;
		snprintf(auth, n, "Authorization: Bearer %s", req->bearer);
		tmp = curl_slist_append(list, auth);
		if (!tmp)
			goto out;
		list = tmp;
	}
	*out = list;
	list = NULL;
	rc = 0;
out:
	if (auth) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	headers_free(list);
	return rc;
}

static CURLcode set_options(const struct http *h, CURL *c,
			    const struct http_request *req,
			    struct curl_slist *headers, struct xfer *x,
			    char *errbuf)
{
	CURLcode cc;

	cc = curl_easy_setopt(c, CURLOPT_URL, req->url);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
				      h->connect_timeout_ms);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_USERAGENT,
				      "smartsheetfs/" SSFS_VERSION);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, HTTP_KEEPIDLE_S);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL,
				      HTTP_KEEPINTVL_S);
	if (!cc && h->ca_file)
		cc = curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	/* Without CURLOPT_PROXY libcurl reads https_proxy and no_proxy
	 * itself. The credentials go in their own options, never in a URL
	 * that could end up in a message. */
	if (!cc && h->proxy)
		cc = curl_easy_setopt(c, CURLOPT_PROXY, h->proxy);
	if (!cc && h->proxy && h->proxy_port)
		cc = curl_easy_setopt(c, CURLOPT_PROXYPORT, h->proxy_port);
	if (!cc && h->proxy && h->proxy_user)
		cc = curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, h->proxy_user);
	if (!cc && h->proxy && h->proxy_password)
		cc = curl_easy_setopt(c, CURLOPT_PROXYPASSWORD,
				      h->proxy_password);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (!cc && x->speculative) {
		cc = curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		if (!cc)
			cc = curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
		if (!cc)
			cc = curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (!cc && req->method == HTTP_POST) {
		const char *body = req->form_body ? req->form_body : "";

		cc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)strlen(body));
		if (!cc)
			cc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (!cc && h->trace) {
		cc = curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		if (!cc)
			cc = curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	return cc;
}

/*
 * One attempt. Fills res (status, curl_code, and the error fields) and
 * returns 0 or a negative errno; *final is set when retrying cannot help
 * (the sink aborted, the body cap was hit, out of memory).
 */
static int attempt_once(struct http *h, CURL *curl,
			const struct http_request *req,
			const struct http_sink *sink, struct http_result *res,
			bool *final)
{
	struct xfer x = {
	    .h = h,
	    .curl = curl,
	    .sink = sink,
	    .err = SBUF_INIT(HTTP_ERR_BODY_MAX_BYTES),
	    .speculative = req->priority != HTTP_PRIO_USER,
	};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	int64_t t0 = clock_mono_ms();
	CURLcode cc;
	long status = 0;
	int rc;

	*final = false;
	errbuf[0] = '\0';
	res->status = 0;
	res->curl_code = CURLE_OK;
	http_parse_error_body(NULL, 0, res);
	rc = headers_build(req, &headers);
	if (rc) {
		*final = true;
		goto out;
	}
	curl_easy_reset(curl);
	cc = set_options(h, curl, req, headers, &x, errbuf);
	if (!cc) {
		atomic_fetch_add(&h->requests, 1);
		cc = curl_easy_perform(curl);
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	/* Drop our pointers (stack buffer, headers) from the handle; the
	 * connection stays in its cache. */
	curl_easy_reset(curl);
	if (cc == CURLE_WRITE_ERROR && x.err_full && !x.sink_rc)
		cc = CURLE_OK; /* we stopped reading a long error body */
	res->status = status;
	res->curl_code = (int)cc;
	if (x.sink_rc) {
		rc = x.sink_rc;
		*final = true;
		snprintf(res->message, sizeof(res->message), "%s",
			 rc == -EFBIG	    ? "answer too large"
			 : rc == -ECANCELED ? "cancelled (unmount)"
					    : "transfer aborted by the receiver");
	} else if (cc != CURLE_OK) {
		rc = http_curlcode_to_errno(cc);
		/* A sink that cannot start over must not see a body twice. */
		*final = cc == CURLE_OUT_OF_MEMORY ||
			 (x.body_bytes && sink && sink->write && !sink->reset);
		copy_str(res->message, sizeof(res->message),
			 errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (status >= 200 && status < 300) {
		rc = 0;
	} else {
		http_parse_error_body(x.err.buf, x.err.len, res);
		rc = http_status_to_errno(status, false);
	}
	if (h->trace)
		log_debug("http: %s %s -> %ld (curl %d) in %lld ms",
			  method_name(req->method), req->url, status, (int)cc,
			  (long long)(clock_mono_ms() - t0));
out:
	headers_free(headers);
	sbuf_release(&x.err);
	return rc;
}

static void log_retry(const struct http_request *req, long wait, int next,
		      const struct http_result *r)
{
	if (r->curl_code != CURLE_OK)
		log_info("retrying %s %s in %ld ms (attempt %d): %s",
			 method_name(req->method), req->url, wait, next,
			 r->message);
	else
		log_info("retrying %s %s in %ld ms (attempt %d): %ld "
			 "errorCode %d refId %s",
			 method_name(req->method), req->url, wait, next,
			 r->status, r->error_code,
			 r->ref_id[0] ? r->ref_id : "-");
}

int http_perform(struct http *h, const struct http_request *req,
		 const struct http_sink *sink, struct http_result *res)
{
	struct http_result local = {0};
	struct http_result *r = res ? res : &local;
	int64_t start = clock_mono_ms();
	int attempt, timeouts = 0, rc;
	bool final = false;
	CURL *curl;
	long wait;

	memset(r, 0, sizeof(*r));
	if (!h || !req || !req->url) {
		rc = -EINVAL;
		goto out;
	}
	curl = handle_get(h);
	if (!curl) {
		rc = -ENOMEM;
		goto out;
	}
	for (attempt = 1;; attempt++) {
		rc = rate_wait(h, req->priority, true);
		if (rc)
			goto out;
		if (sink && sink->reset) {
			rc = sink->reset(sink->ctx);
			if (rc)
				goto out;
		}
		rc = attempt_once(h, curl, req, sink, r, &final);
		r->attempts = attempt;
		if (!connection_failure(r))
			atomic_store(&h->unreachable, false);
		if (!rc || final)
			break;
		if (r->status == 429)
			rate_hold(h);
		if (req->no_retry || attempt >= h->max_attempts ||
		    (connection_failure(r) && atomic_load(&h->unreachable)) ||
		    !http_is_retryable(r->status, r->error_code,
				       (CURLcode)r->curl_code))
			break;
		/* A timeout has already used timeout_s: only one more. */
		if (r->curl_code == CURLE_OPERATION_TIMEDOUT) {
			if (timeouts)
				break;
			timeouts++;
		}
		wait = (long)(h->backoff_scale *
			      (double)http_backoff_ms(attempt, rnd_unit()));
		if (clock_mono_ms() - start + wait > h->budget_ms)
			break;
		log_retry(req, wait, attempt + 1, r);
		sleep_ms(wait);
	}
	if (rc && connection_failure(r))
		atomic_store(&h->unreachable, true);
	if (rc == -EFBIG) {
		/* An answer past our size cap: a server failure to the user
		 * (SPEC §5 has no "too large"), said so in the log. */
		snprintf(r->message, sizeof(r->message),
			 "the answer is larger than this client accepts");
		rc = -EIO;
	}
	if (rc)
		log_debug("http: %s %s failed after %d attempt(s): status %ld "
			  "curl %d errorCode %d message \"%s\" refId %s",
			  method_name(req->method), req->url, r->attempts,
			  r->status, r->curl_code, r->error_code, r->message,
			  r->ref_id[0] ? r->ref_id : "-");
out:
	return rc;
}

/* ---- http_fetch ---- */

static int fetch_reset(void *ctx)
{
	sbuf_reset(ctx);
	return 0;
}

static int fetch_write(void *ctx, const char *data, size_t n)
{
	return sbuf_add(ctx, data, n);
}

int http_fetch(struct http *h, const struct http_request *req, char **body,
	       size_t *len, struct http_result *res)
{
	struct sbuf sb = SBUF_INIT(h ? h->max_body_bytes : 1);
	struct http_sink sink = {
	    .reset = fetch_reset,
	    .write = fetch_write,
	    .ctx = &sb,
	};
	size_t n;
	char *p;
	int rc;

	if (!body) {
		rc = -EINVAL;
		goto out;
	}
	rc = http_perform(h, req, &sink, res);
	if (rc)
		goto out;
	p = sbuf_detach(&sb, &n);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	*body = p;
	if (len)
		*len = n;
out:
	sbuf_release(&sb);
	return rc;
}

/* ---- life cycle ---- */

static bool opts_valid(const struct http_opts *o)
{
	return o && o->timeout_s >= 1 && o->connect_timeout_s >= 0 &&
	       o->rate_per_min >= 0 && o->background_per_min >= 0 &&
	       o->retry_budget_ms >= 0 && o->max_attempts >= 0 &&
	       o->proxy_port >= 0 && o->proxy_port <= 65535;
}

static double backoff_scale_from_env(void)
{
	const char *s = getenv("SSFS_BACKOFF_SCALE");
	char *end;
	double v;

	if (!s || !*s)
		return 1.0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0) || v > 1000.0) {
		log_warn("ignoring SSFS_BACKOFF_SCALE=%s", s);
		return 1.0;
	}
	return v;
}

struct http *http_new(const struct http_opts *opts)
{
	struct http *h = NULL;
	long timeout_s, connect_s;
	bool locked = false;

	if (!opts_valid(opts))
		goto fail;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto fail;
	timeout_s = opts->timeout_s > HTTP_MAX_TIMEOUT_S ? HTTP_MAX_TIMEOUT_S
							 : opts->timeout_s;
	connect_s = opts->connect_timeout_s;
	if (!connect_s)
		connect_s = timeout_s < HTTP_MAX_CONNECT_TIMEOUT_S
				? timeout_s
				: HTTP_MAX_CONNECT_TIMEOUT_S;
	if (connect_s > timeout_s)
		connect_s = timeout_s;
	h->timeout_ms = timeout_s * 1000;
	h->connect_timeout_ms = connect_s * 1000;
	h->budget_ms = opts->retry_budget_ms ? opts->retry_budget_ms
					     : HTTP_DEFAULT_BUDGET_MS;
	h->max_attempts =
	    opts->max_attempts ? opts->max_attempts : HTTP_DEFAULT_ATTEMPTS;
	h->max_body_bytes = opts->max_body_bytes ? opts->max_body_bytes
						 : HTTP_DEFAULT_MAX_BODY_BYTES;
	h->trace = opts->trace;
	h->backoff_scale = backoff_scale_from_env();
	if (opts->ca_file) {
		h->ca_file = strdup(opts->ca_file);
		if (!h->ca_file)
			goto fail;
	}
	if (opts->proxy) {
		h->proxy = strdup(opts->proxy);
		if (!h->proxy)
			goto fail;
	}
	h->proxy_port = opts->proxy_port;
	if (opts->proxy_user) {
		h->proxy_user = strdup(opts->proxy_user);
		if (!h->proxy_user)
			goto fail;
	}
	if (opts->proxy_password) {
		h->proxy_password = strdup(opts->proxy_password);
		if (!h->proxy_password)
			goto fail;
	}
	if (http_window_init(&h->window, opts->rate_per_min,
			     HTTP_WINDOW_SPAN_MS, opts->background_per_min))
		goto fail;
	if (!cond_init_monotonic(&h->wake))
		goto fail;
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		pthread_cond_destroy(&h->wake);
		goto fail;
	}
	locked = true;
	if (pthread_key_create(&h->key, handle_destroy) != 0)
		goto fail;
	atomic_init(&h->requests, 0);
	return h;
fail:
	if (h) {
		if (locked) {
			pthread_mutex_destroy(&h->lock);
			pthread_cond_destroy(&h->wake);
		}
		http_window_release(&h->window);
		secret_free(h->proxy_password);
		free(h->proxy_user);
		free(h->proxy);
		free(h->ca_file);
		free(h);
	}
	return NULL;
}

void http_free(struct http *h)
{
	struct thread_handle **pp, *t, *mine = NULL;

	if (!h)
		return;
	/* No destructor starts after this; one already running finds its
	 * node gone from the registry (or removes it before we look). */
	pthread_key_delete(h->key);
	pthread_mutex_lock(&reg_lock);
	pp = &reg_head;
	while (*pp) {
		t = *pp;
		if (t->owner == h) {
			*pp = t->next;
			t->next = mine;
			mine = t;
		} else {
			pp = &t->next;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	while (mine) {
		t = mine;
		mine = t->next;
		curl_easy_cleanup(t->curl);
		free(t);
	}
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->wake);
	http_window_release(&h->window);
	secret_free(h->proxy_password);
	free(h->proxy_user);
	free(h->proxy);
	free(h->ca_file);
	free(h);
}

uint64_t http_request_count(struct http *h)
{
	return h ? atomic_load(&h->requests) : 0;
}

char *http_escape(const char *s)
{
	char *e, *copy;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n > INT_MAX)
		return NULL;
	/* A NULL handle is allowed since curl 7.82. */
	e = curl_easy_escape(NULL, s, (int)n);
	if (!e)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}
