/*
 * http/errors.c: both errno mappings (STYLE E3), the retry policy, the
 * backoff and the parse of error bodies, table by table.
 */
#include "http/errors.h"

#include <errno.h>
#include <stdlib.h>

#include "http/http.h"
#include "tests/unit/testlib.h"

/* ---- error mapping tables (STYLE E3) ---- */

static void test_http_status_to_errno(void)
{
	static const struct {
		long status;
		bool is_write;
		int want;
	} cases[] = {
	    {200, false, 0},	   {200, true, 0},	  {201, false, 0},
	    {204, false, 0},	   {299, false, 0},	  {400, false, -EIO},
	    {400, true, -EINVAL},  {401, false, -EACCES}, {401, true, -EACCES},
	    {403, false, -EACCES}, {403, true, -EACCES},  {404, false, -ENOENT},
	    {404, true, -ENOENT},  {410, false, -EIO},	  {429, false, -EIO},
	    {429, true, -EIO},	   {500, false, -EIO},	  {502, false, -EIO},
	    {503, false, -EIO},	   {504, false, -EIO},	  {302, false, -EIO},
	    {405, false, -EIO},	   {414, false, -EIO},	  {100, false, -EIO},
	    {0, false, -EIO},	   {-1, false, -EIO},	  {999, false, -EIO},
	    {199, false, -EIO},	   {300, false, -EIO},	  {300, true, -EIO},
	    {402, false, -EIO},	   {405, true, -EIO},	  {500, true, -EIO},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		int got =
		    http_status_to_errno(cases[i].status, cases[i].is_write);

		if (got != cases[i].want)
			fprintf(stderr, "  status %ld write %d\n",
				cases[i].status, cases[i].is_write);
		CHECK_INT(got, cases[i].want);
	}
}

static void test_http_curlcode_to_errno(void)
{
	static const struct {
		CURLcode code;
		int want;
	} cases[] = {
		{CURLE_OK, 0},
		{CURLE_OPERATION_TIMEDOUT, -ETIMEDOUT},
		{CURLE_COULDNT_RESOLVE_HOST, -EIO},
		{CURLE_COULDNT_CONNECT, -EIO},
		{CURLE_OUT_OF_MEMORY, -ENOMEM},
		{CURLE_FILESIZE_EXCEEDED, -EFBIG},
		{CURLE_WRITE_ERROR, -EIO},
		{CURLE_RECV_ERROR, -EIO},
		{CURLE_SEND_ERROR, -EIO},
		{CURLE_GOT_NOTHING, -EIO},
		{CURLE_SSL_CONNECT_ERROR, -EIO},
		{CURLE_PEER_FAILED_VERIFICATION, -EIO},
		{CURLE_UNSUPPORTED_PROTOCOL, -EIO},
		{CURLE_URL_MALFORMAT, -EIO},
		{CURLE_BAD_CONTENT_ENCODING, -EIO},
		{CURLE_ABORTED_BY_CALLBACK, -EIO},
		{CURLE_PARTIAL_FILE, -EIO},
		{CURLE_HTTP2_STREAM, -EIO},
		{CURLE_SSL_CACERT_BADFILE, -EIO},
#if LIBCURL_VERSION_NUM >= 0x080600
		{CURLE_TOO_LARGE, -EFBIG},
#endif
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		int got = http_curlcode_to_errno(cases[i].code);

		if (got != cases[i].want)
			fprintf(stderr, "  curl code %d\n", (int)cases[i].code);
		CHECK_INT(got, cases[i].want);
	}
}

/* Curl's error text goes into the result as the body's message does. */
static void test_http_result_set_message(void)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"", ""},
	    {"Could not resolve host: api.example", "Could not resolve host: "
						    "api.example"},
	    {"a\tb\r\nc\x7f", "a b  c "},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	};
	struct http_result r;
	char *long_text;
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		memset(&r, 'x', sizeof(r));
		http_result_set_message(&r, cases[i].in);
		CHECK_STR(r.message, cases[i].want);
	}
	/* Too long: cut before the character that does not fit whole. */
	long_text = malloc(sizeof(r.message) + 8);
	CHECK(long_text != NULL);
	if (!long_text)
		return;
	memset(long_text, 'a', sizeof(r.message) - 2);
	memcpy(long_text + sizeof(r.message) - 2, "\xc3\xa9z", 4);
	http_result_set_message(&r, long_text);
	CHECK_INT(strlen(r.message), sizeof(r.message) - 2);
	CHECK(r.message[sizeof(r.message) - 3] == 'a');
	free(long_text);
}

/* ---- retry policy ---- */

static void test_http_is_retryable(void)
{
	static const struct {
		long status;
		int error_code;
		CURLcode code;
		bool want;
	} cases[] = {
	    /* Smartsheet's transient errorCodes, whatever the status. */
	    {503, 4001, CURLE_OK, true},
	    {500, 4002, CURLE_OK, true},
	    {429, 4003, CURLE_OK, true},
	    {500, 4004, CURLE_OK, true},
	    /* Final errorCodes. */
	    {500, 4000, CURLE_OK, false},
	    {410, 4005, CURLE_OK, false},
	    {503, 4000, CURLE_OK, false},
	    {401, 1002, CURLE_OK, false},
	    {404, 1006, CURLE_OK, false},
	    {400, 1071, CURLE_OK, false},
	    /* 429 even without a body. */
	    {429, 0, CURLE_OK, true},
	    /* Gateways without a Smartsheet body. */
	    {502, 0, CURLE_OK, true},
	    {503, 0, CURLE_OK, true},
	    {504, 0, CURLE_OK, true},
	    /* A bare 500 is a server bug, not a transient state. */
	    {500, 0, CURLE_OK, false},
	    {501, 0, CURLE_OK, false},
	    {404, 0, CURLE_OK, false},
	    {400, 0, CURLE_OK, false},
	    {403, 0, CURLE_OK, false},
	    {200, 0, CURLE_OK, false},
	    /* Connection-level failures. */
	    {0, 0, CURLE_COULDNT_CONNECT, true},
	    {0, 0, CURLE_COULDNT_RESOLVE_HOST, true},
	    {0, 0, CURLE_SEND_ERROR, true},
	    {0, 0, CURLE_RECV_ERROR, true},
	    {0, 0, CURLE_GOT_NOTHING, true},
	    {200, 0, CURLE_PARTIAL_FILE, true},
	    {0, 0, CURLE_OPERATION_TIMEDOUT, true},
	    {200, 0, CURLE_BAD_CONTENT_ENCODING, true},
	    {0, 0, CURLE_HTTP2_STREAM, true},
	    /* Not transient. */
	    {0, 0, CURLE_PEER_FAILED_VERIFICATION, false},
	    {0, 0, CURLE_UNSUPPORTED_PROTOCOL, false},
	    {0, 0, CURLE_URL_MALFORMAT, false},
	    {0, 0, CURLE_OUT_OF_MEMORY, false},
	    {200, 0, CURLE_WRITE_ERROR, false},
	    {0, 0, CURLE_FILESIZE_EXCEEDED, false},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		bool got = http_is_retryable(
		    cases[i].status, cases[i].error_code, cases[i].code);

		if (got != cases[i].want)
			fprintf(stderr, "  status %ld errorCode %d curl %d\n",
				cases[i].status, cases[i].error_code,
				(int)cases[i].code);
		CHECK_INT(got, cases[i].want);
	}
}

/* Which failed attempts of a write the server may have applied: the rule
 * that decides whether a POST is sent again (http.h). */
static void test_http_attempt_maybe_applied(void)
{
	static const struct {
		long status;
		int error_code;
		bool sent;
		bool want;
	} cases[] = {
	    /* Nothing went out: never applied, whatever else. */
	    {0, 0, false, false},
	    {500, 4000, false, false},
	    /* Out, and no answer (reset, timeout, nothing came back). */
	    {0, 0, true, true},
	    /* Refusals: the sheet is untouched. */
	    {400, 1042, true, false},
	    {401, 1002, true, false},
	    {403, 1004, true, false},
	    {404, 1006, true, false},
	    {429, 4003, true, false},
	    {429, 0, true, false},
	    {301, 0, true, false},
	    {100, 0, true, false},
	    /* 5xx Smartsheet sends before any change. */
	    {503, 4001, true, false},
	    {500, 4004, true, false},
	    {500, 4003, true, false},
	    /* 5xx that may come after the change. */
	    {500, 4002, true, true},
	    {500, 4000, true, true},
	    {500, 0, true, true},
	    {502, 0, true, true},
	    {503, 0, true, true},
	    {504, 0, true, true},
	    /* A 2xx whose body was cut or refused: done. */
	    {200, 0, true, true},
	    {204, 0, true, true},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		bool got = http_attempt_maybe_applied(
		    cases[i].status, cases[i].error_code, cases[i].sent);

		if (got != cases[i].want)
			fprintf(stderr, "  status %ld errorCode %d sent %d\n",
				cases[i].status, cases[i].error_code,
				cases[i].sent);
		CHECK_INT(got, cases[i].want);
	}
}

static void test_http_backoff_ms(void)
{
	static const struct {
		int n;
		double rnd;
		long want;
	} cases[] = {
	    {1, 0.0, 2000},  {1, 0.5, 2500},	{1, 0.9999, 2999},
	    {2, 0.0, 4000},  {2, 0.123, 4123},	{3, 0.25, 8250},
	    {4, 0.0, 16000}, {4, 0.999, 16999}, {5, 0.0, 30000},
	    {5, 0.9, 30000}, {10, 0.5, 30000},	{1000, 0.0, 30000},
	    {0, 0.0, 2000},  {-3, 0.0, 2000},	{1, -0.5, 2000},
	    {1, 1.0, 2999},  {1, 7.0, 2999},
	};
	size_t i;
	int n;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		long got = http_backoff_ms(cases[i].n, cases[i].rnd);

		if (got != cases[i].want)
			fprintf(stderr, "  n %d rnd %g\n", cases[i].n,
				cases[i].rnd);
		CHECK_INT(got, cases[i].want);
	}
	/* Never decreasing in n, never above the cap. */
	for (n = 1; n < 70; n++) {
		CHECK(http_backoff_ms(n + 1, 0.3) >= http_backoff_ms(n, 0.3));
		CHECK(http_backoff_ms(n, 0.999) <= 30000);
	}
}

/* ---- error bodies ---- */

static void test_http_parse_error_documented(void)
{
	static const char body[] =
	    "{ \"errorCode\": 1006, \"message\": \"Not Found\", "
	    "\"refId\": \"123abc\",\n  \"detail\": { \"index\": 4, "
	    "\"rowId\": 6572427401553796 } }";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	r.status = 404;
	r.attempts = 1;
	snprintf(r.oauth_error, sizeof(r.oauth_error), "stale");
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 1006);
	CHECK_STR(r.message, "Not Found");
	CHECK_STR(r.ref_id, "123abc");
	CHECK_STR(r.oauth_error, "");
	/* Only the body's fields are touched. */
	CHECK_INT(r.status, 404);
	CHECK_INT(r.attempts, 1);
}

static void test_http_parse_error_ref_id_number(void)
{
	static const char body[] = "{\"errorCode\":4003,\"message\":"
				   "\"Rate limit exceeded.\",\"refId\":"
				   "1234567890123}";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 4003);
	CHECK_STR(r.message, "Rate limit exceeded.");
	CHECK_STR(r.ref_id, "1234567890123");
}

static void test_http_parse_error_oauth(void)
{
	static const char body[] = "{\"error\":\"invalid_grant\","
				   "\"error_description\":\"Invalid Grant\"}";
	static const char both[] = "{\"errorCode\":1071,\"error\":"
				   "\"invalid_grant\",\"message\":\"m\","
				   "\"error_description\":\"d\"}";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.oauth_error, "invalid_grant");
	CHECK_STR(r.message, "Invalid Grant");
	CHECK_STR(r.ref_id, "");

	/* message wins over error_description. */
	http_parse_error_body(both, strlen(both), &r);
	CHECK_INT(r.error_code, 1071);
	CHECK_STR(r.oauth_error, "invalid_grant");
	CHECK_STR(r.message, "m");
}

static void test_http_parse_error_html(void)
{
	static const char body[] =
	    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
	    "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
	    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
	const char *want = "non-JSON answer: <html> <head><title>502 Bad "
			   "Gateway</title></head> <body> <center><h1>502 "
			   "Bad Ga";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	r.error_code = 99;
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, want);
	CHECK_INT(strlen(r.message), strlen("non-JSON answer: ") + 80);
	CHECK(strchr(r.message, '\n') == NULL);
	CHECK(strchr(r.message, '\r') == NULL);
}

static void test_http_parse_error_truncated_json(void)
{
	static const char body[] = "{\"errorCode\": 4003, \"message\": \"Rate";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(body, strlen(body), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message,
		  "non-JSON answer: {\"errorCode\": 4003, \"message\": \"Rate");

	/* len is honoured: the bytes after it are not part of the body. */
	http_parse_error_body("{\"errorCode\":4001}garbage", 18, &r);
	CHECK_INT(r.error_code, 4001);
	CHECK_STR(r.message, "");
}

static void test_http_parse_error_empty(void)
{
	struct http_result r;

	memset(&r, 'x', sizeof(r));
	r.error_code = 5;
	http_parse_error_body("", 0, &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "");
	CHECK_STR(r.ref_id, "");
	CHECK_STR(r.oauth_error, "");
	http_parse_error_body(NULL, 0, &r);
	CHECK_STR(r.message, "");
	/* Whitespace only is not JSON, but there is nothing to show. */
	http_parse_error_body(" \r\n", 3, &r);
	CHECK_STR(r.message, "non-JSON answer");
}

static void test_http_parse_error_huge_fields(void)
{
	struct http_result r;
	size_t n = 10000, i;
	char *body = malloc(n + 200);
	int off;

	CHECK(body != NULL);
	if (!body)
		return;
	memset(&r, 0, sizeof(r));
	off = snprintf(body, 200, "{\"errorCode\":4000,\"refId\":\"");
	for (i = 0; i < 100; i++)
		body[off++] = 'r';
	off += snprintf(body + off, 200, "\",\"message\":\"");
	for (i = 0; i < n; i++)
		body[off++] = 'x';
	off += snprintf(body + off, 200, "\"}");
	http_parse_error_body(body, (size_t)off, &r);
	CHECK_INT(r.error_code, 4000);
	CHECK_INT(strlen(r.message), sizeof(r.message) - 1);
	CHECK(r.message[0] == 'x' && r.message[254] == 'x');
	CHECK_INT(strlen(r.ref_id), sizeof(r.ref_id) - 1);

	/* A multi-byte character is never cut in half; controls become
	 * spaces. */
	off = snprintf(body, 200, "{\"message\":\"ab\\nc");
	for (i = 0; i < 300; i++) {
		body[off++] = (char)0xc3;
		body[off++] = (char)0xa9;
	}
	off += snprintf(body + off, 200, "\"}");
	http_parse_error_body(body, (size_t)off, &r);
	CHECK(strncmp(r.message, "ab c\xc3\xa9", 6) == 0);
	/* "ab c" + 125 two-byte characters: the 126th would be cut. */
	CHECK_INT(strlen(r.message), 254);
	free(body);
}

static void test_http_parse_error_not_an_object(void)
{
	static const char arr[] = "[{\"errorCode\":4003}]";
	static const char str_code[] = "{\"errorCode\":\"4003\","
				       "\"message\":42,\"refId\":null}";
	struct http_result r;

	memset(&r, 0, sizeof(r));
	http_parse_error_body(arr, strlen(arr), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "unexpected JSON answer: [{\"errorCode\":4003}]");

	http_parse_error_body("42", 2, &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "unexpected JSON answer: 42");

	/* Fields of the wrong type are ignored. */
	http_parse_error_body(str_code, strlen(str_code), &r);
	CHECK_INT(r.error_code, 0);
	CHECK_STR(r.message, "");
	CHECK_STR(r.ref_id, "");
}

int main(void)
{
	T(test_http_status_to_errno);
	T(test_http_curlcode_to_errno);
	T(test_http_result_set_message);
	T(test_http_is_retryable);
	T(test_http_attempt_maybe_applied);
	T(test_http_backoff_ms);
	T(test_http_parse_error_documented);
	T(test_http_parse_error_ref_id_number);
	T(test_http_parse_error_oauth);
	T(test_http_parse_error_html);
	T(test_http_parse_error_truncated_json);
	T(test_http_parse_error_empty);
	T(test_http_parse_error_huge_fields);
	T(test_http_parse_error_not_an_object);
	return t_run();
}
