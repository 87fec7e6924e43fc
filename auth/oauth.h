#ifndef SSFS_AUTH_OAUTH_H
#define SSFS_AUTH_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Smartsheet's OAuth 2.0, the wire level (smartsheet-api.md §3): the
 * authorization URL, the `hash` that stands in for the client secret, what a
 * user pastes back (a bare code or the whole redirect URL), and the two token
 * requests. No state here: auth.c decides when to call them and store.c
 * keeps what they return.
 *
 * Nothing in this module logs. Error messages go to err and never hold a
 * code, token, secret or hash.
 */

struct http;
struct http_result;
struct store_tokens;

#define OAUTH_STATE_LEN 32 /* hex characters of a `state` */
#define OAUTH_HASH_LEN 64  /* hex characters of a SHA-256 */

/* A fresh random `state`: 32 lowercase hex characters. 0 or -EIO. */
int oauth_new_state(char out[OAUTH_STATE_LEN + 1]) SSFS_WUR;

/*
 * authorize_url?response_type=code&client_id=..&scope=..&state=..; scope is
 * space separated and sent URL-encoded (%20). New string in *out.
 */
int oauth_authorize_url(const char *authorize_url, const char *client_id,
			const char *scope, const char *state,
			char **out) SSFS_WUR;

/* Lowercase hex SHA-256 of "secret|value" (Smartsheet's `hash`). */
void oauth_hash(const char *secret, const char *value,
		char out[OAUTH_HASH_LEN + 1]);

/*
 * What the user pasted: a bare code, or a redirect URL (or its query string)
 * carrying code/state or error/state. Surrounding white space is ignored.
 * Strings are new (code wiped on release); absent ones are NULL.
 * -EINVAL with a message for empty or unusable text.
 */
struct oauth_pasted {
	char *code;
	char *state;
	char *error;
	bool is_url; /* it came with a query string, so state must match */
};
int oauth_parse_pasted(const char *text, struct oauth_pasted *p, char *err,
		       size_t errlen) SSFS_WUR;
void oauth_pasted_release(struct oauth_pasted *p);

/*
 * Parse a token answer, strictly: access_token and refresh_token non-empty
 * strings, token_type "bearer" if present, expires_in a positive whole
 * number of seconds; the {"token": {...}} wrapper of old documentation is
 * tolerated. Fills t (access_token, refresh_token, expires_at_ms = now_ms +
 * expires_in * 1000). -EPROTO with a message otherwise.
 */
int oauth_parse_token(const char *body, size_t len, int64_t now_ms,
		      struct store_tokens *t, char *err,
		      size_t errlen) SSFS_WUR;

/*
 * POST {api_base}/token with a form body (grant_type, client_id, code or
 * refresh_token, hash); one attempt, no bearer. On success t holds the new
 * pair. On failure: the errno of http_perform (-EACCES/-EINVAL for a refused
 * grant, -EIO/-ETIMEDOUT for the network) or -EPROTO for an answer that is
 * not a token, with res filled and a one-line reason in err (errorCode,
 * OAuth error, message, refId).
 */
int oauth_exchange_code(struct http *h, const char *api_base,
			const char *client_id, const char *client_secret,
			const char *code, int64_t now_ms,
			struct store_tokens *t, struct http_result *res,
			char *err, size_t errlen) SSFS_WUR;
int oauth_refresh_token(struct http *h, const char *api_base,
			const char *client_id, const char *client_secret,
			const char *refresh_token, int64_t now_ms,
			struct store_tokens *t, struct http_result *res,
			char *err, size_t errlen) SSFS_WUR;

/* Whether a failed token request means "this grant is dead, authorize
 * again" (invalid_grant, 1069/1071/1132) rather than a passing failure. */
bool oauth_grant_refused(int rc, const struct http_result *res);

#endif /* SSFS_AUTH_OAUTH_H */
