/*
 * One attempt of a request on libcurl: the options of the easy handle
 * (timeouts, TLS trust, proxy, keep-alive), the headers (the bearer token
 * wiped after use), the write, progress and redacted trace callbacks, and
 * what the attempt ended with. Called by http_perform on the calling
 * thread's own handle; the attempts of all threads share only atomics.
 */
#include "http/transport_i.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "http/errors.h"
#include "http/window.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/sbuf.h"

#define HTTP_DEFAULT_MAX_BODY_BYTES ((size_t)64 << 20)
#define HTTP_MAX_CONNECT_TIMEOUT_S 15L
#define HTTP_MAX_TIMEOUT_S 86400L
#define HTTP_ERR_BODY_MAX_BYTES ((size_t)64 << 10)
#define HTTP_KEEPIDLE_S 60L
#define HTTP_KEEPINTVL_S 30L

/* The state of one attempt, shared with the write callback. */
struct xfer {
	struct http_transport *t;
	CURL *curl;
	const struct http_sink *sink;
	long status;	   /* known once the first body bytes arrive */
	size_t body_bytes; /* of a 2xx body */
	int sink_rc;	   /* why the callback aborted a 2xx body */
	struct sbuf err;   /* body of a non-2xx answer, capped */
	bool err_full;	   /* the cap was hit; the callback stopped */
	bool speculative;  /* a cancel stops it */
};

const char *http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_POST:
		return "POST";
	case HTTP_PUT:
		return "PUT";
	case HTTP_DELETE:
		return "DELETE";
	default:
		return "GET";
	}
}

bool http_idempotent(const struct http_request *req)
{
	switch (req->method) {
	case HTTP_GET:
	case HTTP_DELETE:
		return true;
	case HTTP_PUT:
		return !req->not_idempotent;
	default:
		return false;
	}
}

/*
 * libcurl sends a request again, on a new connection and without telling
 * us, when a reused connection dies before the first byte of the answer
 * (Curl_retry_request, POST included). The server may have applied the
 * first one before the connection died. That replay is harmless only for a
 * request whose repeat gives the same outcome: a GET or an idempotent PUT.
 * A POST would add its rows twice (or spend a /token refresh twice), a
 * DELETE would answer 404 for rows it did delete. Those get a connection of
 * their own, which libcurl never replays: every attempt then is ours.
 */
bool http_fresh_connection(const struct http_request *req)
{
	return req->method == HTTP_POST || req->method == HTTP_DELETE ||
	       (req->method == HTTP_PUT && req->not_idempotent);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb, avail;
	int rc;

	if (!x->status)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status >= 200 && x->status < 300) {
		if (x->speculative && atomic_load(&x->t->cancel)) {
			x->sink_rc = -ECANCELED;
			return 0;
		}
		if (n > x->t->max_body_bytes - x->body_bytes) {
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
	if (atomic_load(&x->t->cancel)) {
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
	if (req->json_body) {
		tmp = curl_slist_append(list,
					"Content-Type: application/json");
		if (!tmp)
			goto out;
		list = tmp;
		/* No "Expect: 100-continue" (libcurl's choice for bodies
		 * over 1 MiB): it only adds a wait before the body. */
		tmp = curl_slist_append(list, "Expect:");
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

/* The verb and the body: POST and PUT send theirs with POSTFIELDS (its
 * size given, so a body may hold any byte), PUT and DELETE name the verb. */
static CURLcode set_method(CURL *c, const struct http_request *req)
{
	const char *body = "";
	size_t len = 0;
	CURLcode cc;

	if (req->method == HTTP_GET)
		return CURLE_OK;
	if (req->method == HTTP_DELETE)
		return curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (req->json_body) {
		body = req->json_body;
		len = req->json_len;
	} else if (req->form_body) {
		body = req->form_body;
		len = strlen(body);
	}
	cc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (!cc && req->method == HTTP_PUT)
		cc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	return cc;
}

static CURLcode set_options(const struct http_transport *t, CURL *c,
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
				      t->connect_timeout_ms);
	if (!cc)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t->timeout_ms);
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
	if (!cc && t->ca_file)
		cc = curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
	/* Without CURLOPT_PROXY libcurl reads https_proxy and no_proxy
	 * itself. The credentials go in their own options, never in a URL
	 * that could end up in a message. */
	if (!cc && t->proxy)
		cc = curl_easy_setopt(c, CURLOPT_PROXY, t->proxy);
	if (!cc && t->proxy && t->proxy_port)
		cc = curl_easy_setopt(c, CURLOPT_PROXYPORT, t->proxy_port);
	if (!cc && t->proxy && t->proxy_user)
		cc = curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, t->proxy_user);
	if (!cc && t->proxy && t->proxy_password)
		cc = curl_easy_setopt(c, CURLOPT_PROXYPASSWORD,
				      t->proxy_password);
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
	if (!cc)
		cc = set_method(c, req);
	if (!cc && http_fresh_connection(req))
		cc = curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	if (!cc && t->trace) {
		cc = curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		if (!cc)
			cc = curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	return cc;
}

int http_transport_attempt(struct http_transport *t, CURL *curl,
			   const struct http_request *req,
			   const struct http_sink *sink,
			   struct http_result *res, bool *final, bool *sent)
{
	struct xfer x = {
	    .t = t,
	    .curl = curl,
	    .sink = sink,
	    .err = SBUF_INIT(HTTP_ERR_BODY_MAX_BYTES),
	    .speculative = req->priority != HTTP_PRIO_USER,
	};
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	int64_t t0 = clock_mono_ms();
	long request_bytes = 0;
	bool performed = false;
	CURLcode cc;
	long status = 0;
	int rc;

	*final = false;
	*sent = false;
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
	cc = set_options(t, curl, req, headers, &x, errbuf);
	if (!cc) {
		atomic_fetch_add(&t->requests, 1);
		performed = true;
		cc = curl_easy_perform(curl);
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	/* The bytes of the request that reached the socket: 0 when it never
	 * left (no name, no connection, no TLS). When libcurl cannot say,
	 * assume it went out. */
	if (performed) {
		if (curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE,
				      &request_bytes) != CURLE_OK)
			request_bytes = 1;
		*sent = cc == CURLE_OK || status != 0 || request_bytes > 0;
	}
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
			 rc == -EFBIG ? "answer too large"
			 : rc == -ECANCELED
			     ? "cancelled (unmount)"
			     : "transfer aborted by the receiver");
	} else if (cc != CURLE_OK) {
		rc = http_curlcode_to_errno(cc);
		/* A sink that cannot start over must not see a body twice. */
		*final = cc == CURLE_OUT_OF_MEMORY ||
			 (x.body_bytes && sink && sink->write && !sink->reset);
		http_result_set_message(
		    res, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (status >= 200 && status < 300) {
		rc = 0;
	} else {
		http_parse_error_body(x.err.buf, x.err.len, res);
		rc = http_status_to_errno(status, req->method != HTTP_GET &&
							 !req->form_body);
	}
	if (t->trace)
		log_debug("http: %s %s -> %ld (curl %d) in %lld ms",
			  http_method_name(req->method), req->url, status,
			  (int)cc, (long long)(clock_mono_ms() - t0));
out:
	headers_free(headers);
	sbuf_release(&x.err);
	return rc;
}

static int dup_opt(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

int http_transport_init(struct http_transport *t, const struct http_opts *opts)
{
	long timeout_s, connect_s;

	memset(t, 0, sizeof(*t));
	timeout_s = opts->timeout_s > HTTP_MAX_TIMEOUT_S ? HTTP_MAX_TIMEOUT_S
							 : opts->timeout_s;
	connect_s = opts->connect_timeout_s;
	if (!connect_s)
		connect_s = timeout_s < HTTP_MAX_CONNECT_TIMEOUT_S
				? timeout_s
				: HTTP_MAX_CONNECT_TIMEOUT_S;
	if (connect_s > timeout_s)
		connect_s = timeout_s;
	t->timeout_ms = timeout_s * 1000;
	t->connect_timeout_ms = connect_s * 1000;
	t->max_body_bytes = opts->max_body_bytes ? opts->max_body_bytes
						 : HTTP_DEFAULT_MAX_BODY_BYTES;
	t->trace = opts->trace;
	t->proxy_port = opts->proxy_port;
	atomic_init(&t->cancel, false);
	atomic_init(&t->requests, 0);
	if (dup_opt(&t->ca_file, opts->ca_file) ||
	    dup_opt(&t->proxy, opts->proxy) ||
	    dup_opt(&t->proxy_user, opts->proxy_user) ||
	    dup_opt(&t->proxy_password, opts->proxy_password)) {
		http_transport_release(t);
		return -ENOMEM;
	}
	return 0;
}

void http_transport_release(struct http_transport *t)
{
	secret_free(t->proxy_password);
	free(t->proxy_user);
	free(t->proxy);
	free(t->ca_file);
	t->proxy_password = NULL;
	t->proxy_user = NULL;
	t->proxy = NULL;
	t->ca_file = NULL;
}
