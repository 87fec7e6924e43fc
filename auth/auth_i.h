#ifndef SSFS_AUTH_AUTH_I_H
#define SSFS_AUTH_AUTH_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/oauth.h"
#include "auth/store.h"
#include "config/config.h"

/*
 * What auth.c (the object, start, refresh) shares with authorize.c (the
 * authorization code's way in: URL, state, exchange) and describe.c (the
 * status text): the object itself and the steps both paths take. Only
 * auth/ includes this header.
 */

/* How long a refresh waits for another process's refresh to finish. */
#define AUTH_LOCK_TIMEOUT_MS 30000
/* `auth url` state is good for this long (SPEC §1). */
#define AUTH_STATE_MAX_AGE_S 600
#define AUTH_ERR 384

struct http_result;

struct auth {
	pthread_mutex_t lock;
	bool oauth;
	enum auth_state state;	   /* lock */
	struct store_tokens tok;   /* lock: the tokens in use */
	char last_error[AUTH_ERR]; /* lock: "" when none */
	time_t last_error_at;	   /* lock */
	char save_error[AUTH_ERR]; /* lock: tokens held but not saved */

	/* OAuth configuration: set by auth_new_oauth, then read-only. */
	struct http *http;
	struct store *store;
	char *client_id;
	char *client_secret;
	char *base_url;
	char *authorize_url;
	char *scope;
	enum cfg_initiate initiate;
	char *cfg_access;
	char *cfg_refresh;
	char *cfg_verifier;
	int64_t cfg_expires_at_ms;	     /* 0: unknown */
	char url_state[OAUTH_STATE_LEN + 1]; /* this object's `state` */
	bool expect_remembered;
};

/* Record msg as the last error, for .auth/status; takes a->lock. */
void auth_note(struct auth *a, const char *msg);

/*
 * Save t, then use it: a rotated refresh token must reach the disk before
 * anything relies on it. A failed save leaves the old file intact; the new
 * tokens are still used (the old ones are dead at Smartsheet anyway), the
 * status says they are not saved, and so does err: AUTH_OK_UNSAVED. Also
 * AUTH_OK or AUTH_NOMEM. t gets saved_at_ms and, when missing, the API base
 * and scope. The caller holds the store lock.
 */
enum auth_status auth_persist_and_adopt(struct auth *a, struct store_tokens *t,
					char *err, size_t errlen);

/* What a failed token request (oauth_*) means: the grant is dead
 * (AUTH_REFUSED), or the endpoint gave no answer this time. */
enum auth_status auth_token_status(int rc, const struct http_result *res);

#endif /* SSFS_AUTH_AUTH_I_H */
