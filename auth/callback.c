/*
 * The loopback listener of the desktop OAuth flow (auth/callback.h): a
 * libmicrohttpd server whose handler runs in MHD's own thread and hands
 * the first matching redirect to callback_wait(), which one caller thread
 * runs; callback_cancel() may come from a signal handler.
 */
#include "auth/callback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "config/values.h"
#include "util/clock.h"
#include "util/sbuf.h"

#define CALLBACK_CONN_TIMEOUT_S 10
#define CALLBACK_MAX_CONNS 16
#define CALLBACK_SLICE_MS 200 /* how often callback_wait looks at cancel */
#define CALLBACK_SHOW_ERROR_MAX 128 /* bytes of an error name put in a page */
#define CALLBACK_PAGE_MAX 4096
#define CALLBACK_PORT_TRIES 8

#define CALLBACK_TEXT_RECEIVED                                                 \
	"smartsheetfs received the authorization; you can close this tab "     \
	"and go back to the terminal."
#define CALLBACK_TEXT_ALREADY                                                  \
	"The smartsheetfs login already finished; you can close this tab."
#define CALLBACK_TEXT_NO_QUERY                                                 \
	"This address only takes the redirect from the Smartsheet "            \
	"authorization page; smartsheetfs is still waiting for it."
#define CALLBACK_TEXT_WRONG_STATE                                              \
	"This answer does not carry the state of the login smartsheetfs is "   \
	"waiting for, so it was ignored; smartsheetfs is still waiting for "   \
	"the redirect from the Smartsheet authorization page."
#define CALLBACK_TEXT_ERROR_HEAD                                               \
	"Authorization did not happen: Smartsheet answered <code>"
#define CALLBACK_TEXT_ERROR_TAIL                                               \
	"</code>. Go back to the terminal and try again."

/* callback_cancel runs in signal handlers: the flag must be lock-free. */
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2, "atomic_bool is not lock-free");

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct callback {
	struct MHD_Daemon *daemon[2]; /* IPv4 and/or IPv6 */
	int port;
	char *path; /* curl_free */
	char *state; /* the login's state: only a redirect with it counts */
	atomic_bool cancelled;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled when have_result is set */
	bool done;	     /* a code/error GET came; protected by lock */
	bool have_result;    /* protected by lock */
	struct callback_query result; /* protected by lock */
};

void callback_query_release(struct callback_query *q)
{
	if (q->code)
		OPENSSL_cleanse(q->code, strlen(q->code));
	free(q->code);
	free(q->state);
	free(q->error);
	free(q->expires_in);
	memset(q, 0, sizeof(*q));
}

/* ---- the HTTP side (runs in libmicrohttpd's thread) ---- */

/* A query parameter, NULL when absent or empty. */
static const char *arg(struct MHD_Connection *conn, const char *key)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);

	return v && *v ? v : NULL;
}

/* The query of conn, new, or NULL when out of memory. */
static struct callback_query *grab(struct MHD_Connection *conn)
{
	struct callback_query tmp = {0}, *q = NULL;
	const char *keys[] = {"code", "state", "error", "expires_in"};
	char **slots[] = {&tmp.code, &tmp.state, &tmp.error, &tmp.expires_in};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(keys); i++) {
		const char *v = arg(conn, keys[i]);

		*slots[i] = v ? strdup(v) : NULL;
		if (v && !*slots[i])
			goto out;
	}
	q = malloc(sizeof(*q));
	if (q) {
		*q = tmp;
		memset(&tmp, 0, sizeof(tmp));
	}
out:
	callback_query_release(&tmp);
	return q;
}

/*
 * Whether got is the state this login issued. Without the check, any local
 * process or web page could end the wait with a code or an error of its
 * own. The comparison takes the same time wherever the strings differ.
 */
static bool our_state(const struct callback *cb, const char *got)
{
	size_t n = strlen(cb->state);

	return got && strlen(got) == n && CRYPTO_memcmp(got, cb->state, n) == 0;
}

/*
 * MHD calls this once the page has been sent (or the connection is gone).
 * Only then does the waiter get the query, so that a caller who stops the
 * listener right away does not cut the page off.
 */
static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct callback *cb = cls;
	struct callback_query *q = *req_cls;

	(void)conn;
	(void)toe;
	if (!q)
		return;
	*req_cls = NULL;
	pthread_mutex_lock(&cb->lock);
	cb->result = *q;
	cb->have_result = true;
	pthread_cond_broadcast(&cb->cond);
	pthread_mutex_unlock(&cb->lock);
	free(q);
}

/*
 * The page: text, or for an error (text NULL) its name, escaped and cut to
 * CALLBACK_SHOW_ERROR_MAX bytes on a UTF-8 boundary.
 */
static int build_page(struct sbuf *sb, const char *text, const char *error)
{
	static const char special[] = "&<>\"'";
	static const char *const entity[] = {"&amp;", "&lt;", "&gt;", "&quot;",
					     "&#39;"};
	size_t i, n = !text && error ? strlen(error) : 0;
	int rc;

	if (n > CALLBACK_SHOW_ERROR_MAX) {
		n = CALLBACK_SHOW_ERROR_MAX;
		while (n > 0 && ((unsigned char)error[n] & 0xc0) == 0x80)
			n--;
	}
	rc = sbuf_addstr(sb, "<!DOCTYPE html>\n<html><head>"
			     "<meta charset=\"utf-8\"><title>smartsheetfs"
			     "</title></head><body><p>");
	if (!rc)
		rc = sbuf_addstr(sb, text ? text : CALLBACK_TEXT_ERROR_HEAD);
	for (i = 0; i < n && !rc; i++) {
		const char *e = strchr(special, error[i]);

		rc = e ? sbuf_addstr(sb, entity[e - special])
		       : sbuf_addch(sb, error[i]);
	}
	if (!rc && !text)
		rc = sbuf_addstr(sb, CALLBACK_TEXT_ERROR_TAIL);
	if (!rc)
		rc = sbuf_addstr(sb, "</p></body></html>\n");
	return rc;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       struct sbuf *page)
{
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;

	r = MHD_create_response_from_buffer(page->len, page->buf,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	/* The page's URL holds the code: keep it out of caches and out of
	 * any Referer. */
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "text/html; charset=utf-8") &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				    "no-store") &&
	    MHD_add_response_header(r, "Referrer-Policy", "no-referrer") &&
	    (status != MHD_HTTP_METHOD_NOT_ALLOWED ||
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD")))
		ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Answers at the first call, when the headers are in: a GET has no body to
 * wait for, and any other method is refused without reading its body.
 */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct callback *cb = cls;
	struct sbuf page = SBUF_INIT(CALLBACK_PAGE_MAX);
	bool is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	const char *code = arg(conn, "code"), *error = arg(conn, "error");
	const char *text = CALLBACK_TEXT_RECEIVED;
	bool done_before;
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result ret = MHD_NO;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	if (strcmp(url, cb->path) != 0) {
		status = MHD_HTTP_NOT_FOUND;
		text = "Not found.";
	} else if (!is_get && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		text = "Method not allowed.";
	} else if (!code && !error) {
		status = MHD_HTTP_BAD_REQUEST;
		text = CALLBACK_TEXT_NO_QUERY;
	} else if (!our_state(cb, arg(conn, "state"))) {
		status = MHD_HTTP_BAD_REQUEST;
		text = CALLBACK_TEXT_WRONG_STATE;
	} else {
		pthread_mutex_lock(&cb->lock);
		done_before = cb->done;
		if (!done_before && is_get) {
			/* Handed to completed() through req_cls. */
			*req_cls = grab(conn);
			cb->done = *req_cls != NULL;
		}
		pthread_mutex_unlock(&cb->lock);
		if (done_before) {
			text = CALLBACK_TEXT_ALREADY;
		} else if (is_get && !*req_cls) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			text = "smartsheetfs ran out of memory; try again.";
		} else if (!code) {
			text = NULL;
		}
	}
	if (!build_page(&page, text, error))
		ret = respond(conn, status, &page);
	sbuf_release(&page);
	return ret;
}

/* ---- setting up ---- */

/* A listening TCP socket bound to a, or a negative errno. */
static int listen_on(const union addr *a)
{
	socklen_t len =
	    a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
	int one = 1, fd, rc;

	fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	/* So that a second login can take a fixed port whose last connections
	 * are in TIME_WAIT; Linux still refuses a port someone listens on. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, &a->sa, len) || listen(fd, CALLBACK_MAX_CONNS)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int bound_port(int fd)
{
	union addr a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(fd, &a.sa, &len))
		return -errno;
	return ntohs(a.sa.sa_family == AF_INET6 ? a.in6.sin6_port
						: a.in.sin_port);
}

/*
 * Bind v4 and/or v6 (NULL to skip) on port, into fds[0] and fds[1] (the
 * caller closes them). For "localhost" (v6_optional), ::1 is skipped when
 * IPv6 is unavailable, and an ephemeral port that is busy on ::1 is drawn
 * again. *on_v6 tells which address failed.
 */
static int bind_all(union addr *v4, union addr *v6, bool v6_optional, int port,
		    int fds[2], bool *on_v6)
{
	int tries, p, rc = 0;

	for (tries = 0; tries < CALLBACK_PORT_TRIES; tries++) {
		p = port;
		if (v4) {
			v4->in.sin_port = htons((uint16_t)port);
			rc = listen_on(v4);
			if (rc < 0)
				return rc;
			fds[0] = rc;
			p = bound_port(fds[0]);
			if (p < 0)
				return p;
		}
		if (!v6)
			return 0;
		v6->in6.sin6_port = htons((uint16_t)p);
		rc = listen_on(v6);
		if (rc >= 0) {
			fds[1] = rc;
			return 0;
		}
		if (v6_optional &&
		    (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL))
			return 0;
		*on_v6 = true;
		if (rc != -EADDRINUSE || port != 0 || !v4)
			return rc;
		close(fds[0]);
		fds[0] = -1;
	}
	return rc;
}

/*
 * We bind the sockets ourselves and hand them over with
 * MHD_OPTION_LISTEN_SOCKET rather than MHD_OPTION_SOCK_ADDR: bind()'s errno
 * is reliable (MHD_start_daemon documents none), and it lets "localhost" put
 * ::1 on the port picked for 127.0.0.1. From the call on, MHD owns fd and
 * closes it, even when it fails.
 */
static struct MHD_Daemon *start_daemon(struct callback *cb, int fd, bool v6)
{
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;

	if (v6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(
	    flags, 0, NULL, NULL, answer, cb, MHD_OPTION_LISTEN_SOCKET,
	    (MHD_socket)fd, MHD_OPTION_NOTIFY_COMPLETED, completed, cb,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)CALLBACK_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)CALLBACK_MAX_CONNS, MHD_OPTION_END);
}

/*
 * Whether host (as curl gives it: "[::1]" in brackets) is loopback; sets the
 * address of v4 and/or v6 (the other keeps family 0).
 */
static bool loopback_host(const char *host, union addr *v4, union addr *v6)
{
	memset(v4, 0, sizeof(*v4));
	memset(v6, 0, sizeof(*v6));
	/* curl has already turned 127.1 and 0x7f.0.0.1 into 127.0.0.1. */
	if (!cfg_host_is_loopback(host))
		return false;
	if (inet_pton(AF_INET, host, &v4->in.sin_addr) == 1) {
		v4->in.sin_family = AF_INET;
		return true;
	}
	/* "localhost" takes both; the only IPv6 loopback host is [::1]. */
	if (strcasecmp(host, "localhost") == 0) {
		v4->in.sin_family = AF_INET;
		v4->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	v6->in6.sin6_family = AF_INET6;
	v6->in6.sin6_addr = in6addr_loopback;
	return true;
}

/* Addresses, port and path (new, curl_free) of url. */
static int parse_url(const char *url, union addr *v4, union addr *v6, int *port,
		     char **path, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *sport = NULL, *p = NULL;
	int rc = -EINVAL;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &sport, CURLU_DEFAULT_PORT) ||
	    curl_url_get(u, CURLUPART_PATH, &p, CURLU_URLDECODE)) {
		snprintf(err, errlen, "CallbackURL %s is not a valid URL", url);
		goto out;
	}
	if (strcmp(scheme, "http") != 0) {
		snprintf(err, errlen,
			 "CallbackURL %s: only http:// is supported (the "
			 "redirect never leaves this machine)",
			 url);
		goto out;
	}
	if (!loopback_host(host, v4, v6)) {
		snprintf(err, errlen,
			 "CallbackURL %s: the host must be localhost, "
			 "127.x.x.x or [::1], so that only this machine can "
			 "reach the listener",
			 url);
		goto out;
	}
	*port = (int)strtol(sport, NULL, 10); /* curl checked it: 0..65535 */
	*path = p;
	p = NULL;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(sport);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

int callback_start(const char *callback_url, const char *state,
		   struct callback **out, char *err, size_t errlen)
{
	struct callback *cb = NULL;
	pthread_condattr_t ca;
	union addr v4, v6;
	int fds[2] = {-1, -1}, port = 0, i, rc;
	bool on_v6 = false;
	char *path = NULL;

	if (!state || !*state) {
		snprintf(err, errlen, "no state to wait for");
		return -EINVAL;
	}
	rc = parse_url(callback_url, &v4, &v6, &port, &path, err, errlen);
	if (rc)
		return rc;
	cb = calloc(1, sizeof(*cb));
	if (cb)
		cb->state = strdup(state);
	if (!cb || !cb->state || pthread_condattr_init(&ca)) {
		if (cb)
			free(cb->state);
		free(cb);
		curl_free(path);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cb->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&cb->lock, NULL);
	atomic_init(&cb->cancelled, false);
	cb->path = path;

	rc =
	    bind_all(v4.sa.sa_family ? &v4 : NULL, v6.sa.sa_family ? &v6 : NULL,
		     v4.sa.sa_family && v6.sa.sa_family, port, fds, &on_v6);
	if (rc == -EADDRINUSE) {
		snprintf(err, errlen,
			 "port %d%s is already in use by another program; "
			 "stop it, or change CallbackURL (and the app's "
			 "redirect URL in Smartsheet) to a free port",
			 port, on_v6 ? " on ::1" : "");
		goto out;
	}
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s%s: %s", callback_url,
			 on_v6 ? " (::1)" : "", strerror(-rc));
		goto out;
	}
	cb->port = bound_port(fds[0] >= 0 ? fds[0] : fds[1]);
	for (i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		cb->daemon[i] = start_daemon(cb, fds[i], i == 1);
		fds[i] = -1;
		if (!cb->daemon[i]) {
			rc = -ENOMEM;
			snprintf(err, errlen,
				 "cannot start the HTTP listener for %s",
				 callback_url);
			goto out;
		}
	}
	*out = cb;
	cb = NULL;
out:
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	callback_stop(cb);
	return rc;
}

int callback_port(const struct callback *cb)
{
	return cb->port;
}

int callback_wait(struct callback *cb, int timeout_ms, struct callback_query *q)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int rc;

	pthread_mutex_lock(&cb->lock);
	for (;;) {
		int64_t slice = CALLBACK_SLICE_MS, at;
		struct timespec ts;

		/* A Ctrl-C beats a redirect that came in at the same time. */
		if (atomic_load(&cb->cancelled)) {
			rc = -EINTR;
			break;
		}
		if (cb->have_result) {
			*q = cb->result;
			memset(&cb->result, 0, sizeof(cb->result));
			cb->have_result = false;
			rc = 0;
			break;
		}
		at = clock_mono_ms();
		if (timeout_ms >= 0 && at >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		/* Sliced, because callback_cancel cannot signal cond: pthread
		 * calls are not async-signal-safe. */
		if (timeout_ms >= 0 && deadline - at < slice)
			slice = deadline - at;
		at += slice;
		ts.tv_sec = (time_t)(at / 1000);
		ts.tv_nsec = (long)(at % 1000) * 1000000;
		pthread_cond_timedwait(&cb->cond, &cb->lock, &ts);
	}
	pthread_mutex_unlock(&cb->lock);
	return rc;
}

void callback_cancel(struct callback *cb)
{
	atomic_store(&cb->cancelled, true);
}

void callback_stop(struct callback *cb)
{
	int i;

	if (!cb)
		return;
	/* Joins MHD's threads, so answer() cannot run past this point. */
	for (i = 0; i < 2; i++)
		if (cb->daemon[i])
			MHD_stop_daemon(cb->daemon[i]);
	callback_query_release(&cb->result);
	pthread_cond_destroy(&cb->cond);
	pthread_mutex_destroy(&cb->lock);
	curl_free(cb->path);
	free(cb->state);
	free(cb);
}
