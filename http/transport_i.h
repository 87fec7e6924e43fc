#ifndef SSFS_HTTP_TRANSPORT_I_H
#define SSFS_HTTP_TRANSPORT_I_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "http/http.h"
#include "util/compat.h"

/*
 * One attempt of a request on a libcurl easy handle (http/transport.c), for
 * http/http.c, which owns the handles, the retries and the window.
 */

/*
 * What every attempt of one struct http uses. The settings are fixed by
 * http_transport_init; the strings are owned (proxy_password is a secret,
 * wiped by http_transport_release). cancel and requests are atomics that
 * http.c shares with the attempts of every thread.
 */
struct http_transport {
	long timeout_ms;
	long connect_timeout_ms;
	size_t max_body_bytes; /* cap for a 2xx body */
	char *ca_file;
	char *proxy;
	long proxy_port;
	char *proxy_user;
	char *proxy_password; /* secret: wiped */
	bool trace;	      /* log each attempt, headers redacted */
	atomic_bool cancel;   /* AHEAD and BACKGROUND attempts give up */
	atomic_uint_least64_t requests; /* attempts sent */
};

/* The settings from opts (already checked by http_new): timeouts (connect
 * defaults to min(timeout, 15 s)), body cap, copies of the strings, trace.
 * 0 or -ENOMEM (then t holds nothing to release). */
int http_transport_init(struct http_transport *t,
			const struct http_opts *opts) SSFS_WUR;
/* Frees and wipes what init copied; a second call does nothing. */
void http_transport_release(struct http_transport *t);

/*
 * One attempt of req on curl (this thread's handle). Fills res->status,
 * curl_code and the error fields (message, errorCode, refId) and returns 0
 * or a negative errno: the sink's, else http_curlcode_to_errno() or
 * http_status_to_errno() (400 is -EINVAL for a write). *final is set when
 * another attempt cannot help (the sink aborted, the body cap was hit, out
 * of memory); *sent when any byte of the request went out
 * (CURLINFO_REQUEST_SIZE), so the server may have seen it. A request that
 * must not be replayed behind http_perform's back (http_fresh_connection)
 * opens a connection of its own. The handle is reset afterwards; its
 * connection stays cached.
 */
int http_transport_attempt(struct http_transport *t, CURL *curl,
			   const struct http_request *req,
			   const struct http_sink *sink,
			   struct http_result *res, bool *final, bool *sent);

/* Whether sending req twice is harmless, so that an attempt that may
 * have been applied can be retried (http.h): GET, PUT unless
 * not_idempotent, DELETE. */
bool http_idempotent(const struct http_request *req);

/* Whether req needs a connection of its own: POST, DELETE and PUTs that
 * are not idempotent (http.h says why). */
bool http_fresh_connection(const struct http_request *req);

/* "GET", "POST", "PUT" or "DELETE", for log lines. */
const char *http_method_name(enum http_method m);

#endif /* SSFS_HTTP_TRANSPORT_I_H */
