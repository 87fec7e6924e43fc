/*
 * Errors of the transport, mapped once (STYLE E3): an HTTP status or a
 * CURLcode to an errno, the retry policy (which failures are transient, how
 * long to back off) and the parse of Smartsheet's error bodies (errorCode,
 * message, refId; the "error" of /token). Pure functions, table-tested in
 * tests/unit/test_http_errors.c; any thread may call them.
 */
#include "http/errors.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http/http.h"

#define HTTP_BACKOFF_CAP_MS 30000L
#define HTTP_SNIPPET_BYTES 80

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

void http_result_set_message(struct http_result *res, const char *text)
{
	copy_str(res->message, sizeof(res->message), text);
}

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

bool http_attempt_maybe_applied(long status, int error_code, bool sent)
{
	if (!sent)
		return false;
	if (status >= 500)
		/* Smartsheet says these before touching the sheet: down for
		 * maintenance, over the rate, or the sheet busy with another
		 * write of this token. 4002 (server timeout) may come after
		 * the change, and a bare 5xx says nothing. */
		return error_code != 4001 && error_code != 4003 &&
		       error_code != 4004;
	if (status >= 100 && status < 200)
		return false;
	/* 0 (the request went out, no answer came back) or a 2xx whose
	 * body failed: done or maybe done. 3xx and 4xx are refusals. */
	return status < 300;
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
