#ifndef SSFS_HTTP_HTTP_H
#define SSFS_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * The libcurl transport: one easy handle per thread (kept in a pthread key
 * and reused, so connections stay alive), connect and total timeouts, a
 * User-Agent, retries with exponential backoff and jitter on Smartsheet's
 * transient errorCodes (4001-4004), 429 and connection failures, a sliding
 * window that keeps the client under Smartsheet's request limit with three
 * priorities (each request's own, struct http_request.priority), and the
 * mapping of every failure to one errno (SPEC §5, http/errors.h).
 *
 * Writes (POST, PUT, DELETE) go through the same window and retries, with
 * one rule more: an attempt that the server may have acted on is retried
 * only when doing it twice is harmless. An attempt the server cannot have
 * applied is one that never left (resolve or connect failure: nothing was
 * sent, CURLINFO_REQUEST_SIZE is 0) or one it refused: any 4xx (429
 * included), and a 5xx carrying errorCode 4001 (maintenance), 4003 (rate
 * limit) or 4004 (another request of this token is writing the sheet).
 * Any other failure after the request went out (a timeout, a reset, no
 * answer, a cut answer, another 5xx, errorCode 4002, a 2xx whose body
 * could not be taken) may have been applied:
 *   - POST (and a PUT marked not_idempotent) stops there, and fails with
 *     http_result.maybe_applied set: adding the rows again would add them
 *     twice;
 *   - PUT is retried: the same cells and the same absolute places again
 *     give the same sheet;
 *   - DELETE is retried too (ids are never reused, so a replay deletes
 *     nothing more), but a replay of one that landed answers 404: every
 *     failure after such an attempt keeps maybe_applied set, and the
 *     caller reads that 404 as "probably done", not as "no such row".
 * maybe_applied is set on failure only, never for GET. POST, DELETE and
 * not_idempotent PUTs go on a fresh connection: libcurl silently sends a
 * request again when a reused connection dies before any answer byte, and
 * that replay must not happen behind the retry rule above.
 *
 * Call curl_global_init() before http_new() and before any thread starts.
 * All functions are thread-safe. The Authorization header is built per
 * request and never logged; verbose tracing redacts it.
 */

struct http;

struct http_opts {
	long timeout_s;          /* total time per attempt, >= 1 */
	long connect_timeout_s;  /* 0: min(timeout_s, 15) */
	int rate_per_min;        /* requests in any 61 s; 0: unlimited */
	int background_per_min;  /* HTTP_PRIO_BACKGROUND pace; 0: none */
	long retry_budget_ms;    /* give up retrying after this; 0: 15000 */
	int max_attempts;        /* 0: 6 */
	size_t max_body_bytes;   /* cap for buffered bodies; 0: 64 MiB */
	const char *ca_file;     /* optional: CA bundle to trust (borrowed) */
	const char *proxy;       /* optional: proxy host or URL (borrowed); NULL:
				  * libcurl's https_proxy/no_proxy environment */
	long proxy_port;         /* 0: the port in proxy, else 1080 */
	const char *proxy_user;  /* optional, with proxy (borrowed) */
	const char *proxy_password; /* optional secret (borrowed; the copy
				     * is wiped by http_free) */
	bool trace;              /* log requests at debug level */
	bool backoff_scale_set;  /* test knob: use backoff_scale ... */
	double backoff_scale;    /* ... times every backoff, 0 to 1000
				  * (0: no wait); unset: 1 */
};

/*
 * What a failed (or successful) request ended with. Filled by every request,
 * success or not. Strings are NUL-terminated and truncated to fit.
 */
struct http_result {
	long status;        /* HTTP status of the last attempt, 0 if none */
	int error_code;     /* Smartsheet errorCode, 0 if none */
	char message[256];  /* Smartsheet message, or curl's error text */
	char ref_id[64];    /* Smartsheet refId, "" if none */
	char oauth_error[64]; /* the "error" field of a /token answer, "" if none */
	int curl_code;      /* CURLcode of the last attempt */
	int attempts;       /* how many attempts were made */
	bool maybe_applied; /* a write failed, but the server may have applied
			     * it (an attempt's answer was lost); see above */
};

/*
 * Receives the body of a successful (2xx) answer as it arrives.
 * reset is called before each attempt (a retry starts the body over); it
 * returns 0 or a negative errno. write returns 0 to go on or a negative errno
 * to abort the transfer (that errno is returned by the request, no retry).
 */
struct http_sink {
	int (*reset)(void *ctx);
	int (*write)(void *ctx, const char *data, size_t n);
	void *ctx;
};

enum http_method {
	HTTP_GET,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
};

/*
 * Priorities of the request budget. USER requests (a reader is waiting) may
 * fill the window; AHEAD requests (read-ahead) three quarters of it;
 * BACKGROUND requests (the warm-up) half of it, paced evenly at
 * background_per_min. AHEAD and BACKGROUND requests are speculative:
 * http_cancel_speculative() stops them wherever they are. USER is 0, so a
 * zeroed request is a user's (token requests always are: they are never
 * paced or cancelled, since a cancelled refresh can lose a rotated pair).
 */
enum http_priority {
	HTTP_PRIO_USER = 0,
	HTTP_PRIO_AHEAD,
	HTTP_PRIO_BACKGROUND,
};

/*
 * At most one body: form_body with POST only; json_body (json_len bytes,
 * Content-Type: application/json) with POST or PUT. GET and DELETE carry
 * none (anything else is -EINVAL). Bodies are never logged.
 */
struct http_request {
	enum http_method method;
	const char *url;            /* absolute URL */
	const char *bearer;         /* access token or NULL (borrowed) */
	const char *form_body;      /* POST x-www-form-urlencoded body or NULL */
	const char *json_body;      /* POST/PUT JSON body or NULL (borrowed) */
	size_t json_len;
	bool no_retry;              /* one attempt only (e.g. code exchange) */
	bool not_idempotent;        /* PUT only: sent twice it would act twice
				     * (a relative move): retried as a POST */
	enum http_priority priority; /* every attempt's, retries included */
};

/* NULL when out of memory or opts are invalid. */
struct http *http_new(const struct http_opts *opts);
void http_free(struct http *h);

/*
 * Perform a request. The body of a 2xx answer goes to sink (which may be
 * NULL to discard it); an error answer's body is parsed for errorCode,
 * message and refId into *res. Retries happen inside (writes: see the top
 * of this file). Returns 0 or a negative errno (http_status_to_errno /
 * http_curlcode_to_errno in http/errors.h, or -ECANCELED, or the sink's);
 * a write that failed after it may have been applied has
 * res->maybe_applied set, whatever the errno. res may be NULL.
 */
int http_perform(struct http *h, const struct http_request *req,
		 const struct http_sink *sink, struct http_result *res) SSFS_WUR;

/* Convenience: collect a 2xx body (up to max_body_bytes) into a new
 * NUL-terminated string (caller frees). *body untouched on failure. */
int http_fetch(struct http *h, const struct http_request *req, char **body,
	       size_t *len, struct http_result *res) SSFS_WUR;

/* URL-encode s into a new string (caller frees); NULL when out of memory. */
char *http_escape(const char *s);

/* Requests made so far (for tests and benchmarks). */
uint64_t http_request_count(struct http *h);

/*
 * Wait until a request of priority p could go now (the background pace and
 * p's share of the window), before taking anything a reader might wait on.
 * It takes no slot in the window, but it does use up the background pace:
 * the warm-up then makes its requests at HTTP_PRIO_AHEAD, so that a second
 * request of the same fetch (a retry, or the GET after a token refresh)
 * never waits for the pace while a reader waits for the sheet.
 * 0 or -ECANCELED (p speculative and cancelled).
 */
int http_wait_room(struct http *h, enum http_priority p);

/* Change the background pace (0: no background requests). */
void http_set_background_rate(struct http *h, int per_min);

/*
 * Make every AHEAD or BACKGROUND request, waiting or in flight, fail at
 * once with -ECANCELED (on: true), e.g. at unmount; off again with false.
 */
void http_cancel_speculative(struct http *h, bool on);

/* Requests sent in the last window (for the status file); -1 when there
 * is no limit. */
int http_window_count(struct http *h);

#endif /* SSFS_HTTP_HTTP_H */
