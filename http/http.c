/*
 * The request API: a libcurl easy handle per (thread, struct http), the
 * request window every attempt waits at (priorities, the pause after a 429,
 * the cancel at unmount), and the retries with backoff around each attempt
 * (http/transport.c). Every function is thread-safe; FUSE workers, the
 * prefetch pool and the CLI call them.
 */
#include "http/http.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/errors.h"
#include "http/transport_i.h"
#include "http/window.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/sbuf.h"

#define HTTP_DEFAULT_BUDGET_MS 15000L
#define HTTP_DEFAULT_ATTEMPTS 6
#define HTTP_MAX_BACKOFF_SCALE 1000.0
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
	struct http_transport tr; /* what each attempt uses, cancel, counts */
	long budget_ms;
	int max_attempts;
	double backoff_scale;
	pthread_key_t key;
	pthread_mutex_t lock;
	pthread_cond_t wake;	   /* the window changed or cancel was set */
	struct http_window window; /* protected by lock */
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

/* ---- the request window (http/window.c) under h->lock ---- */

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
		if (p != HTTP_PRIO_USER && atomic_load(&h->tr.cancel)) {
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
	atomic_store(&h->tr.cancel, on);
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

int http_window_count(struct http *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->window.limit ? http_window_used(&h->window, clock_mono_ms()) : -1;
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

/* ---- retries around one attempt (http/transport.c) ---- */

static void log_retry(const struct http_request *req, long wait, int next,
		      const struct http_result *r)
{
	if (r->curl_code != CURLE_OK)
		log_info("retrying %s %s in %ld ms (attempt %d): %s",
			 http_method_name(req->method), req->url, wait, next,
			 r->message);
	else
		log_info("retrying %s %s in %ld ms (attempt %d): %ld "
			 "errorCode %d refId %s",
			 http_method_name(req->method), req->url, wait, next,
			 r->status, r->error_code,
			 r->ref_id[0] ? r->ref_id : "-");
}

/* At most one body, and only where the method takes one (http.h). */
static bool request_valid(const struct http_request *req)
{
	if (!req || !req->url)
		return false;
	if (req->form_body && (req->json_body || req->method != HTTP_POST))
		return false;
	if (req->json_body &&
	    req->method != HTTP_POST && req->method != HTTP_PUT)
		return false;
	return !req->not_idempotent || req->method == HTTP_PUT;
}

/*
 * Whether another attempt may follow a failed one. The usual rule (a
 * transient failure, attempts and budget left; http_is_retryable) plus the
 * one for writes (http.h): an attempt the server may have applied is sent
 * again only when sending it twice is harmless.
 */
static bool may_retry(const struct http *h, const struct http_request *req,
		      const struct http_result *r, int attempt, bool applied)
{
	if (req->no_retry || attempt >= h->max_attempts)
		return false;
	if (connection_failure(r) && atomic_load(&h->unreachable))
		return false;
	if (!http_is_retryable(r->status, r->error_code,
			       (CURLcode)r->curl_code))
		return false;
	return !applied || http_idempotent(req);
}

int http_perform(struct http *h, const struct http_request *req,
		 const struct http_sink *sink, struct http_result *res)
{
	struct http_result local = {0};
	struct http_result *r = res ? res : &local;
	int64_t start = clock_mono_ms();
	int attempt, timeouts = 0, rc;
	bool final = false, sent = false, applied = false, unknown = false;
	CURL *curl;
	long wait;

	memset(r, 0, sizeof(*r));
	if (!h || !request_valid(req)) {
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
		rc = http_transport_attempt(&h->tr, curl, req, sink, r, &final,
					    &sent);
		r->attempts = attempt;
		if (!connection_failure(r))
			atomic_store(&h->unreachable, false);
		if (!rc)
			break;
		/* A GET changes nothing: only writes can be half done. */
		applied = req->method != HTTP_GET &&
			  http_attempt_maybe_applied(r->status, r->error_code,
						     sent);
		unknown |= applied;
		if (final)
			break;
		if (r->status == 429)
			rate_hold(h);
		if (!may_retry(h, req, r, attempt, applied))
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
			  "curl %d errorCode %d message \"%s\" refId %s%s",
			  http_method_name(req->method), req->url, r->attempts,
			  r->status, r->curl_code, r->error_code, r->message,
			  r->ref_id[0] ? r->ref_id : "-",
			  unknown ? " (may have been applied)" : "");
out:
	/* Once an attempt may have landed, no later answer can say it did
	 * not (a DELETE replayed after its rows went answers 404). */
	r->maybe_applied = rc && unknown;
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
	struct sbuf sb = SBUF_INIT(h ? h->tr.max_body_bytes : 1);
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
	       o->proxy_port >= 0 && o->proxy_port <= 65535 &&
	       (!o->backoff_scale_set ||
		(o->backoff_scale >= 0.0 &&
		 o->backoff_scale <= HTTP_MAX_BACKOFF_SCALE));
}

struct http *http_new(const struct http_opts *opts)
{
	struct http *h = NULL;
	bool locked = false;

	if (!opts_valid(opts))
		goto fail;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto fail;
	h->budget_ms = opts->retry_budget_ms ? opts->retry_budget_ms
					     : HTTP_DEFAULT_BUDGET_MS;
	h->max_attempts =
	    opts->max_attempts ? opts->max_attempts : HTTP_DEFAULT_ATTEMPTS;
	h->backoff_scale = opts->backoff_scale_set ? opts->backoff_scale : 1.0;
	if (http_transport_init(&h->tr, opts))
		goto fail;
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
	return h;
fail:
	if (h) {
		if (locked) {
			pthread_mutex_destroy(&h->lock);
			pthread_cond_destroy(&h->wake);
		}
		http_window_release(&h->window);
		http_transport_release(&h->tr);
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
	http_transport_release(&h->tr);
	free(h);
}

uint64_t http_request_count(struct http *h)
{
	return h ? atomic_load(&h->tr.requests) : 0;
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
