#ifndef SSFS_AUTH_AUTH_H
#define SSFS_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Credentials: where the access token comes from and what to do when the
 * API rejects it. Thread-safe. The token lives only here and in the copies
 * handed out by auth_get_bearer(), which the caller wipes with
 * auth_bearer_free().
 */

struct auth;
struct cfg;
struct http;

enum auth_state {
	AUTH_STATE_AUTHORIZED = 0, /* a usable token is held */
	AUTH_STATE_WAITING,        /* no token yet: waiting for a code */
	AUTH_STATE_REFRESH_FAILED, /* the refresh token was rejected */
	AUTH_STATE_REJECTED,       /* the token was rejected by the API */
};

/* A personal access token (copied). NULL when out of memory. */
struct auth *auth_new_token(const char *token);
void auth_free(struct auth *a);

/*
 * A copy of the current access token for one request (caller releases it
 * with auth_bearer_free, which wipes it). -EACCES when there is no usable
 * credential, -ENOMEM.
 */
int auth_get_bearer(struct auth *a, char **bearer) SSFS_WUR;
void auth_bearer_free(char *bearer);

/*
 * The API answered 401 (errorCode 1002/1003) to a request made with
 * bearer. Returns 0 when a new token is now available (retry the request
 * once), or -EACCES (the state becomes AUTH_STATE_REJECTED for a personal
 * token).
 */
int auth_rejected(struct auth *a, const char *bearer) SSFS_WUR;

/* Mark the credential as working (a request with it succeeded). */
void auth_accepted(struct auth *a);

enum auth_state auth_get_state(struct auth *a);
/* "PersonalAccessToken" or "OAuth". Static string. */
const char *auth_scheme_name(const struct auth *a);

#endif /* SSFS_AUTH_AUTH_H */
