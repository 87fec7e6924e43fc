#ifndef SSFS_AUTH_AUTH_H
#define SSFS_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/status.h"
#include "util/compat.h"

/*
 * Credentials: a personal access token, or OAuth 2.0 with the tokens kept
 * in the encrypted settings file (store.h) and refreshed before they
 * expire, on a 401, or on demand. Thread-safe. Tokens live only here, in the
 * store and in the copies handed out by auth_get_bearer(), which the caller
 * wipes with auth_bearer_free().
 *
 * Refreshes are serialised across threads and processes by the store's lock;
 * under it the settings file is re-read first, so a token another process
 * already rotated is adopted instead of refreshed again (a refresh kills the
 * old pair, SPEC §2).
 *
 * A function that hands back a reason in err does not log it: the caller
 * reports it once (a subcommand on stderr, .auth/ writes in the log). What
 * no caller sees is logged here: a refresh inside auth_get_bearer or
 * auth_rejected, and tokens in use that could not be saved when the call
 * still succeeds.
 */

struct auth;
struct cfg;
struct http;
struct sbuf;

enum auth_state {
	AUTH_STATE_AUTHORIZED = 0, /* a usable token is held */
	AUTH_STATE_WAITING,	   /* no token yet: waiting for a code */
	AUTH_STATE_REFRESH_FAILED, /* the refresh token was rejected */
	AUTH_STATE_REJECTED,	   /* the token was rejected by the API */
};

/* A personal access token (copied). NULL when out of memory. */
struct auth *auth_new_token(const char *token);

/*
 * OAuth from the [connection] properties of cfg (copied; cfg may go after
 * this). Token requests go through h (borrowed). NULL when out of memory.
 */
struct auth *auth_new_oauth(const struct cfg *cfg, struct http *h);
void auth_free(struct auth *a);

/*
 * Obtain a credential at start, as InitiateOAuth says (SPEC §2): the
 * settings file, else OAuthAccessToken/OAuthRefreshToken, else an
 * OAuthVerifier code to exchange; a refresh when the expiry is unknown or
 * near. AUTH_OK: a usable token is held (tokens that could not be saved
 * are logged, not returned). AUTH_REFUSED: none yet (the state says why; a
 * mount comes up waiting). AUTH_BAD_SETTINGS: the settings file cannot be
 * used (not decryptable, refused, unreadable). AUTH_UNREACHABLE/
 * AUTH_TIMEOUT: the token endpoint (or the settings lock, or the disk) did
 * not answer in time; tokens held are kept. Also AUTH_NO_LOCK, AUTH_NOMEM,
 * and the outcomes of auth_exchange for an OAuthVerifier. A one-line reason
 * in err. AUTH_OK at once for a personal token.
 */
enum auth_status auth_start(struct auth *a, char *err, size_t errlen) SSFS_WUR;

/*
 * A copy of the current access token for one request (caller releases it
 * with auth_bearer_free, which wipes it). Refreshes first when the token is
 * about to expire. -EACCES when there is no usable credential, -EIO or
 * -ETIMEDOUT when a needed refresh could not reach the endpoint (or could
 * not lock or claim room beside the settings file), -ENOMEM: the api's
 * errno contract, auth_status_to_errno() of the refresh's outcome.
 */
int auth_get_bearer(struct auth *a, char **bearer) SSFS_WUR;
void auth_bearer_free(char *bearer);

/*
 * The API answered 401 (errorCode 1001-1003) to a request made with bearer.
 * Returns 0 when a new token is now available (retry the request), -EIO
 * or -ETIMEDOUT when the token endpoint cannot be reached, or the settings
 * file cannot be locked or claim room (a passing failure: held content may
 * be served), or -EACCES (the state says why).
 */
int auth_rejected(struct auth *a, const char *bearer) SSFS_WUR;

/* Mark the credential as working (a request with it succeeded). */
void auth_accepted(struct auth *a);

enum auth_state auth_get_state(struct auth *a);
bool auth_usable(struct auth *a);
bool auth_is_oauth(const struct auth *a);
/* "PersonalAccessToken" or "OAuth". Static string. */
const char *auth_scheme_name(const struct auth *a);

/*
 * Whether the credential carries the access scope named (such as
 * "WRITE_SHEETS"; any case). A personal token: always (it may do what its
 * user may). OAuth: the scopes the settings file records for the tokens
 * in use, or, when it records none (tokens given in the configuration),
 * the Scope property they were asked for with. What the user's sharing
 * allows is the server's to say (403).
 */
bool auth_scope_has(struct auth *a, const char *scope);

/*
 * The authorization URL with this auth's `state` (fresh for each auth
 * object, so for each mount). New string in *url. -EINVAL for a personal
 * token.
 */
int auth_authorize_url(struct auth *a, char **url) SSFS_WUR;

/* The `state` auth_authorize_url puts in the URL, so the loopback
 * listener can tell our redirect from others. Valid as long as a. */
const char *auth_url_state(const struct auth *a);

/* Remember this auth's state beside the settings file for `auth exchange`
 * in another process (`auth url`). AUTH_OK, AUTH_NO_LOCK (not written,
 * err says why) or AUTH_NOMEM. */
enum auth_status auth_remember_state(struct auth *a, char *err,
				     size_t errlen) SSFS_WUR;
/* Expect the state remembered by `auth url` (at most 10 minutes old)
 * instead of this object's own. */
void auth_expect_remembered_state(struct auth *a);

/*
 * Exchange what the user pasted (a code or the redirect URL) for tokens,
 * persist them, then use them. A pasted URL must carry the expected state;
 * error=access_denied is reported as such. AUTH_OK, AUTH_OK_UNSAVED
 * (tokens in use but not saved), AUTH_REFUSED (refused, or the state does
 * not match; the reason is also kept for the status), AUTH_UNREACHABLE/
 * AUTH_TIMEOUT (endpoint), AUTH_BAD_INPUT (not a code, not OAuth),
 * AUTH_NO_LOCK (the settings file cannot be locked or has no room, so the
 * code was not spent), AUTH_OFF (InitiateOAuth = OFF), AUTH_NOMEM.
 */
enum auth_status auth_exchange(struct auth *a, const char *pasted, char *err,
			       size_t errlen) SSFS_WUR;

/*
 * Refresh now (`auth refresh`, a write to .auth/refresh): under the lock,
 * with the settings file's refresh token, or refresh_token when given.
 * Outcomes as auth_exchange: AUTH_NO_LOCK when the settings file cannot be
 * locked or has no room (nothing was refreshed; AUTH_TIMEOUT when another
 * process held the lock too long), AUTH_OK_UNSAVED when the new pair is in
 * use but could not be saved, AUTH_REFUSED (invalid_grant: the state
 * becomes AUTH_STATE_REFRESH_FAILED, a new code recovers), and
 * AUTH_BAD_SETTINGS for a settings file that cannot be used.
 */
enum auth_status auth_refresh_now(struct auth *a, const char *refresh_token,
				  char *err, size_t errlen) SSFS_WUR;

/* When the access token expires (Unix ms), 0 when unknown or none. */
int64_t auth_expires_at_ms(struct auth *a);

/*
 * Status lines for .auth/status and `auth status`: expiry, settings file,
 * last error (with errorCode and refId), and what to do next. Never a
 * token. where_url/where_verifier name the places to point the user at
 * (".auth/url", or "`smartsheetfs auth url`").
 */
int auth_describe(struct auth *a, bool mounted, struct sbuf *out) SSFS_WUR;

/* The tokens' settings file (or "memory://"), NULL for a personal token. */
const char *auth_settings_location(const struct auth *a);

#endif /* SSFS_AUTH_AUTH_H */
