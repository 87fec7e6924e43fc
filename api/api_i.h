#ifndef SSFS_API_API_I_H
#define SSFS_API_API_I_H

#include <stddef.h>

#include "api/api.h"
#include "http/http.h"
#include "util/compat.h"

/*
 * What api.c shares with the other endpoint files of api/ (rows.c): one
 * request with the token's renewal, the map of its result to the callers'
 * type, the failure log line, and the credential. Only api/ includes this
 * header; callers of the api never see http/ through it.
 */

/*
 * One request to base URL + path (+ "?" + query when query is not NULL)
 * with tmpl's method, body, priority and flags (its url and bearer are
 * filled in here). A 2xx body goes to sink, or else (sink NULL) into a new
 * string *body of *len bytes. A 401 for a rejected token is sent again
 * with the token auth hands out after auth_rejected(): the server refused
 * the first one, so this is safe for writes too; r->maybe_applied stays
 * set when any try may have been applied. 0 or a negative errno; does not
 * log (callers do, once).
 */
int api_send(struct api *a, const struct http_request *tmpl, const char *path,
	     const char *query, const struct http_sink *sink, char **body,
	     size_t *len, struct http_result *r) SSFS_WUR;

/* What callers see of a request's result (res may be NULL). */
void api_put_result(struct api_result *res, const struct http_result *r);

/*
 * The one log line of a failure: "METHOD path: HTTP 500, errorCode 4000,
 * refId abc: <what, else the message, else strerror(-rc)>", an error
 * (a warning for 404, debug for a cancel at unmount). path is the part
 * after the base URL; it may carry counts, never a token or a body.
 */
void api_log_failure(const char *method, const char *path, int rc,
		     const struct http_result *r, const char *what);

/* The credential the api sends (borrowed from api_new's caller). */
struct auth *api_auth(struct api *a);

#endif /* SSFS_API_API_I_H */
