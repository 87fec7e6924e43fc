#include "auth/auth.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth/oauth.h"
#include "auth/store.h"
#include "config/config.h"
#include "http/http.h"
#include "util/log.h"
#include "util/sbuf.h"

/* How long a refresh waits for another process's refresh to finish. */
#define AUTH_LOCK_TIMEOUT_MS 30000
/* Refresh this long before expiry (at most a tenth of the lifetime). */
#define AUTH_MARGIN_MS 300000
/* `auth url` state is good for this long (SPEC §1). */
#define AUTH_STATE_MAX_AGE_S 600
#define AUTH_ERR 384

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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

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
	wipe_free(a->client_secret);
	free(a->base_url);
	free(a->authorize_url);
	free(a->scope);
	wipe_free(a->cfg_access);
	wipe_free(a->cfg_refresh);
	wipe_free(a->cfg_verifier);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Record a failure for .auth/status; the caller holds a->lock. */
static void note_locked(struct auth *a, const char *msg)
{
	snprintf(a->last_error, sizeof(a->last_error), "%s", msg);
	a->last_error_at = time(NULL);
}

static void note(struct auth *a, const char *msg)
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

/*
 * Save t, then use it: a rotated refresh token must reach the disk before
 * anything relies on it. A failed save leaves the old file intact; the new
 * tokens are still used (the old ones are dead at Smartsheet anyway), the
 * status says they are not saved, and so does err (the return is
 * store_save's error). The caller holds the store lock.
 */
static int persist_and_adopt(struct auth *a, struct store_tokens *t, char *err,
			     size_t errlen)
{
	char why[AUTH_ERR] = "";
	int src, rc;

	t->saved_at_ms = now_ms();
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
		return rc;
	if (src)
		snprintf(err, errlen, "cannot save the OAuth tokens: %s", why);
	return src;
}

/*
 * Where nobody is shown err (a refresh on expiry or on a 401, tokens taken
 * at start), the log is the only place a failure or a failed save is seen.
 * Elsewhere the caller reports err, once: logging it here too printed
 * every reason twice on a subcommand's stderr.
 */
static void log_failure(int rc, const char *err)
{
	if (rc)
		log_err("%s", err[0] ? err : strerror(-rc));
}

/*
 * The refresh, serialised by the store lock. stale is the access token the
 * caller found wanting (NULL: none). Unless force, a token that another
 * thread or process rotated meanwhile is adopted from the settings file
 * instead of refreshing again.
 */
static int refresh(struct auth *a, const char *stale, bool force,
		   const char *rt_given, char *err, size_t errlen)
{
	struct store_tokens file, fresh, cur;
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
		return -EPERM;
	}
	rc = store_lock(a->store, AUTH_LOCK_TIMEOUT_MS, err, errlen);
	if (rc)
		return rc;
	lrc = store_load(a->store, &file, err, errlen);
	if (lrc && lrc != -ENOENT) {
		rc = lrc == -EBADMSG ? -EBADMSG : -EIO;
		note(a, err);
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
	if (rc)
		goto out;
	if (!force && !rt_given && cur.access_token &&
	    (!stale || strcmp(stale, cur.access_token) != 0) &&
	    !expiring(&cur, now_ms()))
		goto out; /* someone else refreshed: nothing to do */
	rt = rt_given ? rt_given : cur.refresh_token;
	if (!rt) {
		snprintf(err, errlen, "no refresh token: authorize again");
		rc = -EACCES;
		goto out;
	}
	/* The answer must be saved: claim the space first (a full or
	 * read-only folder fails here, with the old pair still good). */
	rc = store_reserve(a->store, err, errlen);
	if (rc) {
		note(a, err);
		rc = -ENOLCK;
		goto out;
	}
	rc = oauth_refresh_token(a->http, a->base_url, a->client_id,
				 a->client_secret, rt, now_ms(), &fresh, &res,
				 err, errlen);
	if (rc) {
		pthread_mutex_lock(&a->lock);
		note_locked(a, err);
		if (oauth_grant_refused(rc, &res)) {
			a->state = AUTH_STATE_REFRESH_FAILED;
			rc = -EACCES;
		} else if (rc != -ETIMEDOUT) {
			rc = -EIO;
		}
		pthread_mutex_unlock(&a->lock);
		goto out;
	}
	if (cur.scope && !fresh.scope)
		fresh.scope = strdup(cur.scope);
	rc = persist_and_adopt(a, &fresh, err, errlen);
	if (rc == -ENOMEM)
		goto out;
	if (rc)
		rc = -EROFS; /* in use, not saved: the status says so too */
	log_info("refreshed the OAuth access token");
out:
	store_unlock(a->store);
	store_tokens_release(&file);
	store_tokens_release(&fresh);
	store_tokens_release(&cur);
	return rc;
}

int auth_get_bearer(struct auth *a, char **bearer)
{
	char err[AUTH_ERR];
	char *stale, *copy;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	if (a->oauth && a->initiate != CFG_INITIATE_OFF &&
	    a->state != AUTH_STATE_REFRESH_FAILED && a->tok.access_token &&
	    a->tok.refresh_token && expiring(&a->tok, now_ms())) {
		stale = strdup(a->tok.access_token);
		pthread_mutex_unlock(&a->lock);
		if (!stale)
			return -ENOMEM;
		rc = refresh(a, stale, false, NULL, err, sizeof(err));
		log_failure(rc, err);
		if (rc == -EROFS)
			rc = 0; /* in use, not saved: the status says so */
		wipe_free(stale);
		pthread_mutex_lock(&a->lock);
		/* A token not yet expired still works: use it. */
		if (rc && a->tok.access_token &&
		    a->tok.expires_at_ms > now_ms())
			rc = 0;
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
	return rc == -EBADMSG || rc == -EPERM ? -EACCES : rc;
}

void auth_bearer_free(char *bearer)
{
	wipe_free(bearer);
}

int auth_rejected(struct auth *a, const char *bearer)
{
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
	rc = refresh(a, bearer, false, NULL, err, sizeof(err));
	log_failure(rc, err);
	if (rc == -EROFS)
		return 0; /* in use, not saved: the status says so */
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

int auth_remember_state(struct auth *a, char *err, size_t errlen)
{
	return store_put_state(a->store, a->url_state, err, errlen);
}

void auth_expect_remembered_state(struct auth *a)
{
	a->expect_remembered = true;
}

/* A pasted redirect URL must answer our own authorization request. */
static int check_state(struct auth *a, const char *got, char *err,
		       size_t errlen)
{
	char *want = NULL;
	int rc = 0;

	if (a->expect_remembered) {
		if (store_get_state(a->store, AUTH_STATE_MAX_AGE_S, &want)) {
			snprintf(err, errlen,
				 "no authorization URL was issued in the "
				 "last 10 minutes: run `smartsheetfs auth "
				 "url` again, or give only the code");
			return -EACCES;
		}
	}
	if (!got || strcmp(got, want ? want : a->url_state) != 0) {
		snprintf(err, errlen,
			 "the redirect URL's state %s the current "
			 "authorization URL: open %s again",
			 got ? "does not match" : "is missing; it must match",
			 a->expect_remembered ? "`smartsheetfs auth url`"
					      : ".auth/url");
		rc = -EACCES;
	}
	free(want);
	return rc;
}

int auth_exchange(struct auth *a, const char *pasted, char *err, size_t errlen)
{
	struct oauth_pasted p;
	struct store_tokens t;
	struct http_result res;
	int rc;

	memset(&t, 0, sizeof(t));
	if (!a->oauth) {
		snprintf(err, errlen, "AuthScheme is not OAuth");
		return -EINVAL;
	}
	if (a->initiate == CFG_INITIATE_OFF) {
		snprintf(err, errlen,
			 "InitiateOAuth = OFF: the daemon does "
			 "not contact the token endpoint");
		return -EPERM;
	}
	rc = oauth_parse_pasted(pasted, &p, err, errlen);
	if (rc)
		return rc;
	if (p.is_url) {
		rc = check_state(a, p.state, err, errlen);
		if (rc)
			goto out;
	}
	if (p.error) {
		snprintf(err, errlen, "authorization was not granted: %s%s",
			 p.error,
			 strcmp(p.error, "access_denied") == 0
			     ? " (the user denied access)"
			     : "");
		rc = -EACCES;
		goto out;
	}
	/*
	 * Take the lock before the code is spent: a settings file that
	 * cannot even be locked (a folder that cannot be created) fails
	 * here, with the code still good for another try.
	 */
	rc = store_lock(a->store, AUTH_LOCK_TIMEOUT_MS, err, errlen);
	if (rc) {
		rc = -ENOLCK;
		goto out;
	}
	rc = store_reserve(a->store, err, errlen);
	if (rc) {
		store_unlock(a->store);
		rc = -ENOLCK;
		goto out;
	}
	rc = oauth_exchange_code(a->http, a->base_url, a->client_id,
				 a->client_secret, p.code, now_ms(), &t, &res,
				 err, errlen);
	if (rc) {
		store_unlock(a->store);
		rc = oauth_grant_refused(rc, &res) ? -EACCES
		     : rc == -ETIMEDOUT		   ? rc
						   : -EIO;
		goto out;
	}
	rc = persist_and_adopt(a, &t, err, errlen);
	store_unlock(a->store);
	if (rc && rc != -ENOMEM)
		rc = -EROFS; /* in use but not saved; the exchange worked */
	log_info("OAuth code exchanged for tokens");
out:
	if (rc && rc != -EROFS)
		note(a, err);
	oauth_pasted_release(&p);
	store_tokens_release(&t);
	return rc;
}

int auth_refresh_now(struct auth *a, const char *refresh_token, char *err,
		     size_t errlen)
{
	if (!a->oauth) {
		snprintf(err, errlen,
			 "AuthScheme is not OAuth: a personal "
			 "access token is not refreshed");
		return -EINVAL;
	}
	return refresh(a, NULL, true, refresh_token, err, errlen);
}

/* Tokens configured in the INI file, saved so that a refresh can rotate
 * them (the settings file is the one place that stays current). */
static int start_from_config(struct auth *a, char *err, size_t errlen)
{
	struct store_tokens t;
	int rc;

	memset(&t, 0, sizeof(t));
	t.access_token = dup_or_null(a->cfg_access);
	t.refresh_token = dup_or_null(a->cfg_refresh);
	t.expires_at_ms = a->cfg_expires_at_ms;
	if ((a->cfg_access && !t.access_token) ||
	    (a->cfg_refresh && !t.refresh_token)) {
		store_tokens_release(&t);
		return -ENOMEM;
	}
	if (a->initiate == CFG_INITIATE_OFF) {
		pthread_mutex_lock(&a->lock);
		rc = adopt_locked(a, &t);
		pthread_mutex_unlock(&a->lock);
	} else {
		rc = store_lock(a->store, AUTH_LOCK_TIMEOUT_MS, err, errlen);
		if (!rc) {
			rc = persist_and_adopt(a, &t, err, errlen);
			store_unlock(a->store);
			if (rc && rc != -ENOMEM) {
				/* Held, not saved: the status says so too. */
				log_failure(rc, err);
				rc = 0;
			}
		}
	}
	store_tokens_release(&t);
	return rc;
}

int auth_start(struct auth *a, char *err, size_t errlen)
{
	struct store_tokens file;
	bool unknown_expiry;
	int rc;

	memset(&file, 0, sizeof(file));
	err[0] = '\0';
	if (!a->oauth)
		return 0;
	if (a->initiate == CFG_INITIATE_OFF) {
		if (!a->cfg_access) {
			snprintf(err, errlen,
				 "InitiateOAuth = OFF and no OAuthAccessToken "
				 "is configured");
			note(a, err);
			return -EACCES;
		}
		return start_from_config(a, err, errlen);
	}
	rc = store_load(a->store, &file, err, errlen);
	if (rc && rc != -ENOENT)
		return rc == -EBADMSG ? -EBADMSG : rc;
	if (rc == 0 && usable_from_file(a, &file)) {
		pthread_mutex_lock(&a->lock);
		rc = adopt_locked(a, &file);
		pthread_mutex_unlock(&a->lock);
	} else if (a->cfg_access || a->cfg_refresh) {
		rc = start_from_config(a, err, errlen);
	} else if (a->cfg_verifier) {
		rc = auth_exchange(a, a->cfg_verifier, err, errlen);
		if (rc == -EROFS) {
			log_failure(rc, err);
			rc = 0;
		}
	} else {
		rc = -EACCES;
		snprintf(err, errlen, "no OAuth tokens yet: authorize first");
	}
	store_tokens_release(&file);
	if (rc)
		return rc;

	pthread_mutex_lock(&a->lock);
	unknown_expiry = a->tok.access_token && !a->tok.expires_at_ms;
	rc = a->tok.refresh_token && (!a->tok.access_token || unknown_expiry ||
				      expiring(&a->tok, now_ms()));
	pthread_mutex_unlock(&a->lock);
	if (rc) {
		rc = refresh(a, NULL, unknown_expiry, NULL, err, errlen);
		if (rc && rc != -EROFS)
			return rc;
		log_failure(rc, err);
	}
	if (!auth_usable(a)) {
		set_state(a, AUTH_STATE_WAITING);
		snprintf(err, errlen, "no OAuth access token: authorize again");
		return -EACCES;
	}
	return 0;
}

static int describe_expiry(struct sbuf *out, int64_t at_ms)
{
	time_t t = (time_t)(at_ms / 1000);
	int64_t left = (at_ms - now_ms()) / 1000;
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (left > 0)
		return sbuf_addf(
		    out, "expires: %s (in %" PRId64 "h %02" PRId64 "m)\n", when,
		    left / 3600, left / 60 % 60);
	return sbuf_addf(out, "expires: %s (expired)\n", when);
}

/* Append to out unless an earlier append failed (rc). */
#define ADD(...)                                                               \
	do {                                                                   \
		if (!rc)                                                       \
			rc = sbuf_addf(out, __VA_ARGS__);                      \
	} while (0)

int auth_describe(struct auth *a, bool mounted, struct sbuf *out)
{
	const char *url = mounted ? "open the URL in .auth/url"
				  : "run `smartsheetfs auth url` and open it";
	const char *give = mounted ? "write the code (or the whole redirect "
				     "URL) to .auth/verifier"
				   : "run `smartsheetfs auth exchange CODE`";
	char when[32] = "";
	struct tm tm;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	if (a->oauth) {
		if (a->tok.access_token && a->tok.expires_at_ms)
			rc = describe_expiry(out, a->tok.expires_at_ms);
		else if (a->tok.access_token)
			ADD("expires: unknown\n");
		ADD("settings: %s\n", store_location(a->store));
		if (a->save_error[0])
			ADD("warning: tokens not saved: %s\n", a->save_error);
	}
	if (a->last_error[0]) {
		gmtime_r(&a->last_error_at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		ADD("auth error: %s %s\n", when, a->last_error);
	}
	switch (a->state) {
	case AUTH_STATE_AUTHORIZED:
		break;
	case AUTH_STATE_WAITING:
		if (a->initiate == CFG_INITIATE_OFF)
			ADD("next: InitiateOAuth = OFF: put "
			    "a valid OAuthAccessToken in the "
			    "config file\n");
		else
			ADD("next: %s, allow access, then %s\n", url, give);
		break;
	case AUTH_STATE_REFRESH_FAILED:
		ADD("next: Smartsheet refused the refresh "
		    "token; authorize again: %s, then %s\n",
		    url, give);
		break;
	case AUTH_STATE_REJECTED:
		if (a->oauth)
			ADD("next: the API rejected the OAuth "
			    "access token; %s\n",
			    a->initiate == CFG_INITIATE_OFF
				? "put a valid "
				  "OAuthAccessToken in the "
				  "config file"
				: "authorize again");
		else
			ADD("next: the API rejected the "
			    "personal access token; put a "
			    "valid one in the config file "
			    "and remount\n");
		break;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}
