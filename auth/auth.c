/*
 * Where the access token comes from (auth/auth.h): a personal token, or
 * OAuth's state machine: InitiateOAuth at start, refresh before expiry and
 * on a 401, the states authorized / waiting / refresh failed / rejected
 * (the code's exchange is authorize.c's). Results are enum auth_status,
 * except for the api's auth_get_bearer/auth_rejected, which keep an errno.
 * Called from FUSE workers, prefetch threads and the subcommands.
 */
#include "auth/auth.h"
#include "auth/auth_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/oauth.h"
#include "auth/store.h"
#include "config/config.h"
#include "http/http.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"

/* Refresh this long before expiry (at most a tenth of the lifetime). */
#define AUTH_MARGIN_MS 300000

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct auth *auth_alloc(void)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a)
		pthread_mutex_init(&a->lock, NULL);
	return a;
}

struct auth *auth_new_token(const char *token)
{
	struct auth *a = auth_alloc();

	if (!a)
		return NULL;
	a->tok.access_token = strdup(token);
	if (!a->tok.access_token) {
		auth_free(a);
		return NULL;
	}
	a->state = AUTH_STATE_AUTHORIZED;
	return a;
}

struct auth *auth_new_oauth(const struct cfg *cfg, struct http *h)
{
	struct auth *a = auth_alloc();

	if (!a)
		return NULL;
	a->oauth = true;
	a->state = AUTH_STATE_WAITING;
	a->http = h;
	a->initiate = cfg->initiate;
	a->client_id = dup_or_null(cfg->client_id);
	a->client_secret = dup_or_null(cfg->client_secret);
	a->base_url = dup_or_null(cfg->base_url);
	a->authorize_url = dup_or_null(cfg->authorize_url);
	a->scope = dup_or_null(cfg->scope);
	a->cfg_access = dup_or_null(cfg->oauth_access_token);
	a->cfg_refresh = dup_or_null(cfg->oauth_refresh_token);
	a->cfg_verifier = dup_or_null(cfg->oauth_verifier);
	if (cfg->oauth_expires_in_s >= 0 && cfg->oauth_token_timestamp_ms >= 0)
		a->cfg_expires_at_ms = cfg->oauth_token_timestamp_ms +
				       cfg->oauth_expires_in_s * 1000;
	a->store = store_open(cfg->settings_location ? cfg->settings_location
						     : "memory://",
			      cfg->client_secret ? cfg->client_secret : "");
	if (!a->client_id || !a->client_secret || !a->base_url ||
	    !a->authorize_url || !a->scope || !a->store ||
	    (cfg->oauth_access_token && !a->cfg_access) ||
	    (cfg->oauth_refresh_token && !a->cfg_refresh) ||
	    (cfg->oauth_verifier && !a->cfg_verifier) ||
	    oauth_new_state(a->url_state)) {
		auth_free(a);
		return NULL;
	}
	return a;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	store_tokens_release(&a->tok);
	store_close(a->store);
	free(a->client_id);
	secret_free(a->client_secret);
	free(a->base_url);
	free(a->authorize_url);
	free(a->scope);
	secret_free(a->cfg_access);
	secret_free(a->cfg_refresh);
	secret_free(a->cfg_verifier);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Record a failure for .auth/status; the caller holds a->lock. */
static void note_locked(struct auth *a, const char *msg)
{
	snprintf(a->last_error, sizeof(a->last_error), "%s", msg);
	a->last_error_at = time(NULL);
}

void auth_note(struct auth *a, const char *msg)
{
	pthread_mutex_lock(&a->lock);
	note_locked(a, msg);
	pthread_mutex_unlock(&a->lock);
}

static void set_state(struct auth *a, enum auth_state st)
{
	pthread_mutex_lock(&a->lock);
	a->state = st;
	pthread_mutex_unlock(&a->lock);
}

/* Whether t should be refreshed now: near or past its expiry. */
static bool expiring(const struct store_tokens *t, int64_t now)
{
	int64_t margin = AUTH_MARGIN_MS, life;

	if (!t->expires_at_ms)
		return false;
	life = t->saved_at_ms ? t->expires_at_ms - t->saved_at_ms : 0;
	if (life > 0 && life / 10 < margin)
		margin = life / 10;
	return now + margin >= t->expires_at_ms;
}

/* Tokens from the settings file are ours if they belong to our API. */
static bool usable_from_file(const struct auth *a, const struct store_tokens *t)
{
	if (!t->access_token && !t->refresh_token)
		return false;
	return !t->api_base || strcmp(t->api_base, a->base_url) == 0;
}

/*
 * Whether the file's pair is newer than the one in use: another process
 * refreshed since we read or saved ours. Only then is it adopted: a pair
 * in use whose save failed is newer than the file's (which Smartsheet
 * killed when it rotated), and must not be swapped for it.
 */
static bool newer(const struct store_tokens *file,
		  const struct store_tokens *cur)
{
	if (!cur->access_token && !cur->refresh_token)
		return true;
	return file->saved_at_ms > cur->saved_at_ms;
}

/* Take t as the tokens in use (copied); the caller holds a->lock. */
static int adopt_locked(struct auth *a, const struct store_tokens *t)
{
	struct store_tokens copy;
	int rc = store_tokens_copy(&copy, t);

	if (rc)
		return rc;
	store_tokens_release(&a->tok);
	a->tok = copy;
	a->state = AUTH_STATE_AUTHORIZED;
	return 0;
}

enum auth_status auth_persist_and_adopt(struct auth *a, struct store_tokens *t,
					char *err, size_t errlen)
{
	char why[AUTH_ERR] = "";
	int src, rc;

	t->saved_at_ms = clock_wall_ms();
	if (!t->api_base)
		t->api_base = strdup(a->base_url);
	if (!t->scope)
		t->scope = strdup(a->scope);
	src = store_save(a->store, t, why, sizeof(why));
	pthread_mutex_lock(&a->lock);
	rc = adopt_locked(a, t);
	snprintf(a->save_error, sizeof(a->save_error), "%s", src ? why : "");
	pthread_mutex_unlock(&a->lock);
	if (rc)
		return AUTH_NOMEM;
	if (!src)
		return AUTH_OK;
	snprintf(err, errlen, "cannot save the OAuth tokens: %s", why);
	return AUTH_OK_UNSAVED;
}

/*
 * Where nobody is shown err (a refresh on expiry or on a 401, tokens taken
 * at start), the log is the only place a failure or a failed save is seen.
 * Elsewhere the caller reports err, once: logging it here too printed
 * every reason twice on a subcommand's stderr.
 */
static void log_failure(enum auth_status st, const char *err)
{
	if (st != AUTH_OK)
		log_err("%s",
			err[0] ? err : strerror(-auth_status_to_errno(st)));
}

/* What a store_lock() failure means: another process kept the lock past
 * the timeout, or the lock file cannot be made or is refused. */
static enum auth_status lock_status(int rc)
{
	return rc == -ETIMEDOUT ? AUTH_TIMEOUT : AUTH_NO_LOCK;
}

/* What a settings file that does not load (not -ENOENT) means: an I/O
 * error may pass, like a network failure; otherwise the file cannot be
 * used (not decryptable, refused, not readable). */
static enum auth_status load_status(int rc)
{
	if (rc == -ENOMEM)
		return AUTH_NOMEM;
	return rc == -EIO ? AUTH_UNREACHABLE : AUTH_BAD_SETTINGS;
}

enum auth_status auth_token_status(int rc, const struct http_result *res)
{
	if (oauth_grant_refused(rc, res))
		return AUTH_REFUSED;
	return rc == -ETIMEDOUT ? AUTH_TIMEOUT : AUTH_UNREACHABLE;
}

/*
 * The refresh, serialised by the store lock. stale is the access token the
 * caller found wanting (NULL: none). Unless force, a token that another
 * thread or process rotated meanwhile is adopted from the settings file
 * instead of refreshing again.
 */
static enum auth_status refresh(struct auth *a, const char *stale, bool force,
				const char *rt_given, char *err, size_t errlen)
{
	struct store_tokens file, fresh, cur;
	enum auth_status st = AUTH_OK;
	struct http_result res;
	const char *rt;
	int rc, lrc;

	memset(&file, 0, sizeof(file));
	memset(&fresh, 0, sizeof(fresh));
	memset(&cur, 0, sizeof(cur));
	if (a->initiate == CFG_INITIATE_OFF) {
		snprintf(err, errlen,
			 "InitiateOAuth = OFF: the daemon does "
			 "not refresh tokens");
		return AUTH_OFF;
	}
	rc = store_lock(a->store, AUTH_LOCK_TIMEOUT_MS, err, errlen);
	if (rc)
		return lock_status(rc);
	lrc = store_load(a->store, &file, err, errlen);
	if (lrc && lrc != -ENOENT) {
		st = load_status(lrc);
		auth_note(a, err);
		goto out;
	}
	pthread_mutex_lock(&a->lock);
	if (lrc == 0 && usable_from_file(a, &file) && newer(&file, &a->tok)) {
		log_debug("adopting the tokens another process saved");
		rc = adopt_locked(a, &file);
	}
	if (!rc)
		rc = store_tokens_copy(&cur, &a->tok);
	pthread_mutex_unlock(&a->lock);
	if (rc) {
		st = AUTH_NOMEM;
		goto out;
	}
	if (!force && !rt_given && cur.access_token &&
	    (!stale || strcmp(stale, cur.access_token) != 0) &&
	    !expiring(&cur, clock_wall_ms()))
		goto out; /* someone else refreshed: nothing to do */
	rt = rt_given ? rt_given : cur.refresh_token;
	if (!rt) {
		snprintf(err, errlen, "no refresh token: authorize again");
		st = AUTH_REFUSED;
		goto out;
	}
	/* The answer must be saved: claim the space first (a full or
	 * read-only folder fails here, with the old pair still good). */
	rc = store_reserve(a->store, err, errlen);
	if (rc) {
		auth_note(a, err);
		st = AUTH_NO_LOCK;
		goto out;
	}
	rc = oauth_refresh_token(a->http, a->base_url, a->client_id,
				 a->client_secret, rt, clock_wall_ms(), &fresh,
				 &res, err, errlen);
	if (rc) {
		st = auth_token_status(rc, &res);
		pthread_mutex_lock(&a->lock);
		note_locked(a, err);
		if (st == AUTH_REFUSED)
			a->state = AUTH_STATE_REFRESH_FAILED;
		pthread_mutex_unlock(&a->lock);
		goto out;
	}
	if (cur.scope && !fresh.scope)
		fresh.scope = strdup(cur.scope);
	/* AUTH_OK_UNSAVED: in use, not saved; the status says so too. */
	st = auth_persist_and_adopt(a, &fresh, err, errlen);
	if (st == AUTH_NOMEM)
		goto out;
	log_info("refreshed the OAuth access token");
out:
	store_unlock(a->store);
	store_tokens_release(&file);
	store_tokens_release(&fresh);
	store_tokens_release(&cur);
	return st;
}

/*
 * The api's side keeps an errno (E1: its contract with api/), from the one
 * map of auth_status_to_errno().
 */
int auth_get_bearer(struct auth *a, char **bearer)
{
	enum auth_status st = AUTH_OK;
	char err[AUTH_ERR];
	char *stale, *copy;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	if (a->oauth && a->initiate != CFG_INITIATE_OFF &&
	    a->state != AUTH_STATE_REFRESH_FAILED && a->tok.access_token &&
	    a->tok.refresh_token && expiring(&a->tok, clock_wall_ms())) {
		stale = strdup(a->tok.access_token);
		pthread_mutex_unlock(&a->lock);
		if (!stale)
			return -ENOMEM;
		st = refresh(a, stale, false, NULL, err, sizeof(err));
		log_failure(st, err);
		secret_free(stale);
		pthread_mutex_lock(&a->lock);
		/* A token not yet expired still works: use it. */
		if (auth_status_to_errno(st) && a->tok.access_token &&
		    a->tok.expires_at_ms > clock_wall_ms())
			st = AUTH_OK;
		rc = auth_status_to_errno(st);
	}
	if (!rc && (!a->tok.access_token || !a->tok.access_token[0]))
		rc = -EACCES;
	if (rc)
		goto out;
	copy = strdup(a->tok.access_token);
	if (!copy) {
		rc = -ENOMEM;
		goto out;
	}
	*bearer = copy;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void auth_bearer_free(char *bearer)
{
	secret_free(bearer);
}

int auth_rejected(struct auth *a, const char *bearer)
{
	enum auth_status st;
	char err[AUTH_ERR];
	int rc;

	pthread_mutex_lock(&a->lock);
	if (!a->oauth || a->initiate == CFG_INITIATE_OFF) {
		/* Nothing can renew it: the user must. */
		a->state = AUTH_STATE_REJECTED;
		pthread_mutex_unlock(&a->lock);
		return -EACCES;
	}
	if (a->state == AUTH_STATE_REFRESH_FAILED) {
		pthread_mutex_unlock(&a->lock);
		return -EACCES;
	}
	pthread_mutex_unlock(&a->lock);
	st = refresh(a, bearer, false, NULL, err, sizeof(err));
	log_failure(st, err);
	rc = auth_status_to_errno(st);
	if (rc == -EIO || rc == -ETIMEDOUT)
		return rc; /* the endpoint, not the credential */
	return rc ? -EACCES : 0;
}

void auth_accepted(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	if (a->state == AUTH_STATE_REJECTED)
		a->state = AUTH_STATE_AUTHORIZED;
	pthread_mutex_unlock(&a->lock);
}

enum auth_state auth_get_state(struct auth *a)
{
	enum auth_state s;

	pthread_mutex_lock(&a->lock);
	s = a->state;
	pthread_mutex_unlock(&a->lock);
	return s;
}

bool auth_usable(struct auth *a)
{
	bool ok;

	pthread_mutex_lock(&a->lock);
	ok = a->tok.access_token && a->state != AUTH_STATE_WAITING;
	pthread_mutex_unlock(&a->lock);
	return ok;
}

bool auth_is_oauth(const struct auth *a)
{
	return a->oauth;
}

const char *auth_scheme_name(const struct auth *a)
{
	return a->oauth ? "OAuth" : "PersonalAccessToken";
}

/* Whether the space-separated list holds name (any case). */
static bool scope_listed(const char *list, const char *name)
{
	size_t n = strlen(name), k;

	while (list && *list) {
		list += strspn(list, " ");
		k = strcspn(list, " ");
		if (k == n && n && !strncasecmp(list, name, n))
			return true;
		list += k;
	}
	return false;
}

bool auth_scope_has(struct auth *a, const char *scope)
{
	bool has;

	if (!a->oauth)
		return true;
	pthread_mutex_lock(&a->lock);
	has = scope_listed(a->tok.scope ? a->tok.scope : a->scope, scope);
	pthread_mutex_unlock(&a->lock);
	return has;
}

const char *auth_settings_location(const struct auth *a)
{
	return a->oauth ? store_location(a->store) : NULL;
}

int64_t auth_expires_at_ms(struct auth *a)
{
	int64_t t;

	pthread_mutex_lock(&a->lock);
	t = a->tok.access_token ? a->tok.expires_at_ms : 0;
	pthread_mutex_unlock(&a->lock);
	return t;
}

enum auth_status auth_refresh_now(struct auth *a, const char *refresh_token,
				  char *err, size_t errlen)
{
	if (!a->oauth) {
		snprintf(err, errlen,
			 "AuthScheme is not OAuth: a personal "
			 "access token is not refreshed");
		return AUTH_BAD_INPUT;
	}
	return refresh(a, NULL, true, refresh_token, err, errlen);
}

/* Tokens configured in the INI file, saved so that a refresh can rotate
 * them (the settings file is the one place that stays current). */
static enum auth_status start_from_config(struct auth *a, char *err,
					  size_t errlen)
{
	enum auth_status st = AUTH_OK;
	struct store_tokens t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.access_token = dup_or_null(a->cfg_access);
	t.refresh_token = dup_or_null(a->cfg_refresh);
	t.expires_at_ms = a->cfg_expires_at_ms;
	if ((a->cfg_access && !t.access_token) ||
	    (a->cfg_refresh && !t.refresh_token)) {
		store_tokens_release(&t);
		return AUTH_NOMEM;
	}
	if (a->initiate == CFG_INITIATE_OFF) {
		pthread_mutex_lock(&a->lock);
		if (adopt_locked(a, &t))
			st = AUTH_NOMEM;
		pthread_mutex_unlock(&a->lock);
	} else {
		rc = store_lock(a->store, AUTH_LOCK_TIMEOUT_MS, err, errlen);
		if (rc) {
			st = lock_status(rc);
		} else {
			st = auth_persist_and_adopt(a, &t, err, errlen);
			store_unlock(a->store);
		}
		if (st == AUTH_OK_UNSAVED) {
			/* Held, not saved: the status says so too. */
			log_failure(st, err);
			st = AUTH_OK;
		}
	}
	store_tokens_release(&t);
	return st;
}

enum auth_status auth_start(struct auth *a, char *err, size_t errlen)
{
	struct store_tokens file;
	enum auth_status st = AUTH_OK;
	bool unknown_expiry, renew;
	int rc;

	memset(&file, 0, sizeof(file));
	err[0] = '\0';
	if (!a->oauth)
		return AUTH_OK;
	if (a->initiate == CFG_INITIATE_OFF) {
		if (!a->cfg_access) {
			snprintf(err, errlen,
				 "InitiateOAuth = OFF and no OAuthAccessToken "
				 "is configured");
			auth_note(a, err);
			return AUTH_REFUSED;
		}
		return start_from_config(a, err, errlen);
	}
	rc = store_load(a->store, &file, err, errlen);
	if (rc && rc != -ENOENT)
		return load_status(rc);
	if (rc == 0 && usable_from_file(a, &file)) {
		pthread_mutex_lock(&a->lock);
		if (adopt_locked(a, &file))
			st = AUTH_NOMEM;
		pthread_mutex_unlock(&a->lock);
	} else if (a->cfg_access || a->cfg_refresh) {
		st = start_from_config(a, err, errlen);
	} else if (a->cfg_verifier) {
		st = auth_exchange(a, a->cfg_verifier, err, errlen);
		if (st == AUTH_OK_UNSAVED) {
			log_failure(st, err);
			st = AUTH_OK;
		}
	} else {
		st = AUTH_REFUSED;
		snprintf(err, errlen, "no OAuth tokens yet: authorize first");
	}
	store_tokens_release(&file);
	if (st)
		return st;

	pthread_mutex_lock(&a->lock);
	unknown_expiry = a->tok.access_token && !a->tok.expires_at_ms;
	renew =
	    a->tok.refresh_token && (!a->tok.access_token || unknown_expiry ||
				     expiring(&a->tok, clock_wall_ms()));
	pthread_mutex_unlock(&a->lock);
	if (renew) {
		st = refresh(a, NULL, unknown_expiry, NULL, err, errlen);
		if (st != AUTH_OK && st != AUTH_OK_UNSAVED)
			return st;
		log_failure(st, err);
	}
	if (!auth_usable(a)) {
		set_state(a, AUTH_STATE_WAITING);
		snprintf(err, errlen, "no OAuth access token: authorize again");
		return AUTH_REFUSED;
	}
	return AUTH_OK;
}
