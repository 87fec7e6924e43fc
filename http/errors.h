#ifndef SSFS_HTTP_ERRORS_H
#define SSFS_HTTP_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/*
 * What a failure means: the two mappings to errno (STYLE E3: one function per
 * foreign error space), which failures are worth another attempt and how long
 * to wait before it, and what an error answer's body says. Pure functions,
 * callable from any thread.
 */

struct http_result;

/*
 * HTTP status -> 0 or a negative errno: 2xx 0, 400 -EIO (-EINVAL when
 * is_write), 401/403 -EACCES, 404 -ENOENT, anything else (429 and 5xx once
 * retries ran out, 3xx, 410) -EIO.
 */
int http_status_to_errno(long status, bool is_write);

/*
 * CURLcode -> 0 or a negative errno: OPERATION_TIMEDOUT -ETIMEDOUT,
 * OUT_OF_MEMORY -ENOMEM, FILESIZE_EXCEEDED/TOO_LARGE -EFBIG, anything else
 * (COULDNT_RESOLVE_HOST and COULDNT_CONNECT included) -EIO.
 */
int http_curlcode_to_errno(CURLcode code);

/* Whether an answer is worth another attempt: errorCode 4001..4004, a 429,
 * a 502/503/504 without a JSON body, or a connection-level failure. */
bool http_is_retryable(long status, int error_code, CURLcode code);

/*
 * Whether a failed attempt of a write may have been applied by the server
 * (http.h says what follows from it): false when nothing was sent, for a
 * 1xx, 3xx or 4xx answer, and for a 5xx with errorCode 4001, 4003 or 4004
 * (refused before any change); true otherwise (no answer after sending,
 * a 2xx whose body failed, any other 5xx).
 */
bool http_attempt_maybe_applied(long status, int error_code, bool sent);

/* Backoff before retry n (n >= 1) in ms: 2^n * 1000 + jitter 0..999,
 * capped; rnd is a value in [0, 1). */
long http_backoff_ms(int n, double rnd);

/*
 * Parse a Smartsheet error body (JSON or not; len bytes, no NUL needed) into
 * res->error_code, message, ref_id and oauth_error, which are all reset
 * first. A body that is not a JSON object gives a message quoting its first
 * bytes. Nothing else in res is touched.
 */
void http_parse_error_body(const char *body, size_t len,
			   struct http_result *res);

/* Set res->message to text (NUL-terminated): control characters become
 * spaces, and text too long is cut at a UTF-8 character boundary. */
void http_result_set_message(struct http_result *res, const char *text);

#endif /* SSFS_HTTP_ERRORS_H */
