#ifndef SSFS_AUTH_CALLBACK_H
#define SSFS_AUTH_CALLBACK_H

#include <stddef.h>

#include "util/compat.h"

/*
 * The loopback listener of the desktop OAuth flow: a tiny HTTP server
 * (libmicrohttpd, its own thread) on the host and port of CallbackURL that
 * waits for the browser's redirect and hands its query to the caller.
 *
 * Nothing here logs the query. Pages sent to the browser never echo the code.
 */

/*
 * What the redirect carried. Strings are new (the caller owns them through
 * callback_query_release); absent or empty parameters are NULL.
 */
struct callback_query {
	char *code;
	char *state;
	char *error;	  /* e.g. "access_denied" */
	char *expires_in; /* milliseconds, as sent */
};

/* Wipes code (OPENSSL_cleanse) and frees everything; a second call does
 * nothing. */
void callback_query_release(struct callback_query *q);

struct callback;

/*
 * Listen on the host and port of callback_url for the redirect that
 * carries state (copied; the `state` of the authorization URL this login
 * issued, not empty). Only http:// is accepted, and
 * the host must be loopback: "localhost", 127.x.x.x or [::1]. "localhost"
 * binds 127.0.0.1 and also ::1 on the same port when IPv6 is available, for
 * browsers that resolve localhost to ::1. Port 0 picks an ephemeral port (see
 * callback_port). Only the path of callback_url ("/" when empty) is answered;
 * other paths get 404, methods other than GET and HEAD get 405.
 *
 * 0 with a new listener in *out (free with callback_stop), or, with a
 * one-line reason in err: -EINVAL (bad URL, not http, not loopback, no
 * state),
 * -EADDRINUSE (the message names the port and says to change CallbackURL),
 * -ENOMEM, or the errno of socket/bind/listen (e.g. -EACCES below 1024).
 */
int callback_start(const char *callback_url, const char *state,
		   struct callback **out, char *err, size_t errlen) SSFS_WUR;

/* The port listened on (the chosen one when the URL said 0). */
int callback_port(const struct callback *cb);

/*
 * Wait until a GET on the path carries a non-empty `code` or `error` and
 * the state given to callback_start, then move its query into q (untouched
 * on failure). The browser gets a short HTML page: "received, close this
 * tab" for a code, the escaped error name and "authorization did not
 * happen" for an error. Requests with neither, or with another state or
 * none, get 400 and do not end the wait (anyone on this machine can reach
 * the listener); only the first matching request counts, and later ones get
 * a page saying the login already finished. HEAD gets GET's answer but is
 * never recorded. The query is handed over only once its page has been
 * sent, so the caller may callback_stop right away.
 *
 * timeout_ms < 0 waits without limit. 0, -ETIMEDOUT, or -EINTR once
 * callback_cancel has been called (before or during the wait).
 * One waiter at a time.
 */
int callback_wait(struct callback *cb, int timeout_ms,
		  struct callback_query *q) SSFS_WUR;

/* Async-signal-safe and thread-safe: make callback_wait return -EINTR
 * (within about 200 ms), now and from then on. */
void callback_cancel(struct callback *cb);

/* Stop the listener (open connections are closed) and free it; NULL ok. */
void callback_stop(struct callback *cb);

#endif /* SSFS_AUTH_CALLBACK_H */
