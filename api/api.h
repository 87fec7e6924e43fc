#ifndef SSFS_API_API_H
#define SSFS_API_API_H

#include <stddef.h>
#include <stdint.h>

#include "api/model.h"
#include "http/http.h"
#include "util/compat.h"

/*
 * The Smartsheet REST client. Thread-safe; every call blocks and returns 0 or
 * a negative errno (SPEC §5), with what the server said in *res (may be
 * NULL). Every failure is logged once here with status, errorCode, message
 * and refId.
 */

struct api;
struct auth;

/* base: the API base URL without a trailing slash
 * ("https://api.smartsheet.com/2.0"); copied. http and auth are borrowed
 * and must outlive the api. */
struct api *api_new(const char *base, struct http *http, struct auth *auth);
void api_free(struct api *a);

/*
 * The reading calls take the priority of their requests in the request
 * window (HTTP_PRIO_USER when a reader waits; speculative ones can be
 * cancelled at unmount, -ECANCELED). A token refresh they cause is always
 * a user's request.
 */

/* GET /sheets, every page. On success *out holds the sheets (release with
 * model_sheet_list_release). */
int api_list_sheets(struct api *a, enum http_priority prio,
		    struct model_sheet_list *out,
		    struct http_result *res) SSFS_WUR;

/* GET /sheets/{id}?level=2&include=objectValue, parsed as a stream while it
 * downloads. On success *out is a new sheet (model_sheet_free). */
int api_get_sheet(struct api *a, int64_t id, enum http_priority prio,
		  struct model_sheet **out, struct http_result *res) SSFS_WUR;

/* GET /sheets/{id}/version. */
int api_get_sheet_version(struct api *a, int64_t id, enum http_priority prio,
			  int64_t *version, struct http_result *res) SSFS_WUR;

/* GET /users/me. On success *out must be released with model_user_release. */
int api_get_user(struct api *a, struct model_user *out,
		 struct http_result *res) SSFS_WUR;

/*
 * Parsers, exposed for unit tests and fuzzing. They take whole documents.
 * A body of the wrong shape is -EIO (with a debug log line of what was
 * wrong); ids stay exact up to INT64_MAX.
 */
int api_parse_sheet_list_page(const char *json, size_t len,
			      struct model_sheet_list *acc, int64_t *page,
			      int64_t *total_pages) SSFS_WUR;
int api_parse_version(const char *json, size_t len, int64_t *version) SSFS_WUR;
int api_parse_user(const char *json, size_t len, struct model_user *out) SSFS_WUR;

/*
 * The streaming sheet parser (yajl). Feed it the body in pieces of any size;
 * finish builds the model. Memory grows with the sheet's content, not with
 * the JSON text. Any error is sticky and makes finish fail.
 */
struct sheet_parser;
struct sheet_parser *sheet_parser_new(void);
void sheet_parser_free(struct sheet_parser *p);
/* Start over (a retried download); 0 or -ENOMEM. */
int sheet_parser_reset(struct sheet_parser *p) SSFS_WUR;
int sheet_parser_feed(struct sheet_parser *p, const char *data, size_t n) SSFS_WUR;
/* On success the parser gives up the sheet to *out and may be reset or
 * freed. -EIO for malformed or wrong-shaped JSON. */
int sheet_parser_finish(struct sheet_parser *p, struct model_sheet **out) SSFS_WUR;

/*
 * The parser fed on a thread of its own (api/feed.c), so that the parse
 * overlaps the transfer: write hands the body over in pieces (backpressure
 * when the parser falls behind), reset starts over, finish waits for the
 * parser and builds the model. A body of one piece never starts the thread.
 * The feed borrows the parser.
 */
struct feed;
struct feed *feed_new(struct sheet_parser *p);
void feed_free(struct feed *f);
int feed_write(struct feed *f, const char *data, size_t n) SSFS_WUR;
int feed_reset(struct feed *f) SSFS_WUR;
int feed_finish(struct feed *f, struct model_sheet **out) SSFS_WUR;

/* Convenience: parse a whole document. */
int api_parse_sheet(const char *json, size_t len, struct model_sheet **out) SSFS_WUR;

/* Exact int64 from a JSON number's digits; -ERANGE / -EINVAL. */
int api_parse_int64(const char *digits, size_t len, int64_t *out) SSFS_WUR;

#endif /* SSFS_API_API_H */
