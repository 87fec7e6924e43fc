/*
 * The authorization code's way in (auth/auth.h): the authorization URL and
 * its `state` (this object's, or the one `auth url` left beside the
 * settings file), and the exchange of what the user pasted, under the
 * store lock so that a settings file that cannot be written costs no code.
 * Called from a FUSE worker (.auth/verifier), the login or a subcommand.
 */
#include "auth/auth.h"
#include "auth/auth_i.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/oauth.h"
#include "auth/store.h"
#include "http/http.h"
#include "util/clock.h"
#include "util/log.h"

int auth_authorize_url(struct auth *a, char **url)
{
	if (!a->oauth)
		return -EINVAL;
	return oauth_authorize_url(a->authorize_url, a->client_id, a->scope,
				   a->url_state, url);
}

const char *auth_url_state(const struct auth *a)
{
	return a->url_state;
}

enum auth_status auth_remember_state(struct auth *a, char *err, size_t errlen)
{
	int rc = store_put_state(a->store, a->url_state, err, errlen);

	/* Not written beside the settings file: that place needs fixing, as
	 * for tokens that cannot be saved. */
	if (rc == -ENOMEM)
		return AUTH_NOMEM;
	return rc ? AUTH_NO_LOCK : AUTH_OK;
}

void auth_expect_remembered_state(struct auth *a)
{
	a->expect_remembered = true;
}

/* A pasted redirect URL must answer our own authorization request. */
static enum auth_status check_state(struct auth *a, const char *got, char *err,
				    size_t errlen)
{
	enum auth_status st = AUTH_OK;
	char *want = NULL;
	int rc;

	if (a->expect_remembered) {
		rc = store_get_state(a->store, AUTH_STATE_MAX_AGE_S, &want, err,
				     errlen);
		/* Otherwise err says why the state file was not read. */
		if (rc == -ENOENT || rc == -ENOMEM)
			snprintf(err, errlen,
				 "no authorization URL was issued in the "
				 "last 10 minutes: run `smartsheetfs auth "
				 "url` again, or give only the code");
		if (rc)
			return AUTH_REFUSED;
	}
	if (!got || strcmp(got, want ? want : a->url_state) != 0) {
		snprintf(err, errlen,
			 "the redirect URL's state %s the current "
			 "authorization URL: open %s again",
			 got ? "does not match" : "is missing; it must match",
			 a->expect_remembered ? "`smartsheetfs auth url`"
					      : ".auth/url");
		st = AUTH_REFUSED;
	}
	free(want);
	return st;
}

enum auth_status auth_exchange(struct auth *a, const char *pasted, char *err,
			       size_t errlen)
{
	struct oauth_pasted p;
	struct store_tokens t;
	struct http_result res;
	enum auth_status st = AUTH_OK;
	int rc;

	memset(&t, 0, sizeof(t));
	if (!a->oauth) {
		snprintf(err, errlen, "AuthScheme is not OAuth");
		return AUTH_BAD_INPUT;
	}
	if (a->initiate == CFG_INITIATE_OFF) {
		snprintf(err, errlen,
			 "InitiateOAuth = OFF: the daemon does "
			 "not contact the token endpoint");
		return AUTH_OFF;
	}
	rc = oauth_parse_pasted(pasted, &p, err, errlen);
	if (rc)
		return rc == -ENOMEM ? AUTH_NOMEM : AUTH_BAD_INPUT;
	if (p.is_url) {
		st = check_state(a, p.state, err, errlen);
		if (st)
			goto out;
	}
	if (p.error) {
		snprintf(err, errlen, "authorization was not granted: %s%s",
			 p.error,
			 strcmp(p.error, "access_denied") == 0
			     ? " (the user denied access)"
			     : "");
		st = AUTH_REFUSED;
		goto out;
	}
	/*
	 * Take the lock before the code is spent: a settings file that
	 * cannot even be locked (a folder that cannot be created) fails
	 * here, with the code still good for another try.
	 */
	if (store_lock(a->store, AUTH_LOCK_TIMEOUT_MS, err, errlen)) {
		st = AUTH_NO_LOCK;
		goto out;
	}
	if (store_reserve(a->store, err, errlen)) {
		store_unlock(a->store);
		st = AUTH_NO_LOCK;
		goto out;
	}
	rc = oauth_exchange_code(a->http, a->base_url, a->client_id,
				 a->client_secret, p.code, clock_wall_ms(), &t,
				 &res, err, errlen);
	if (rc) {
		store_unlock(a->store);
		st = auth_token_status(rc, &res);
		goto out;
	}
	/* AUTH_OK_UNSAVED: in use but not saved; the exchange worked. */
	st = auth_persist_and_adopt(a, &t, err, errlen);
	store_unlock(a->store);
	log_info("OAuth code exchanged for tokens");
out:
	if (st != AUTH_OK && st != AUTH_OK_UNSAVED)
		auth_note(a, err);
	oauth_pasted_release(&p);
	store_tokens_release(&t);
	return st;
}
