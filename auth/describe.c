/*
 * The status text of auth_describe() (auth/auth.h), for .auth/status and
 * `auth status`: expiry, settings file, last error, what to do next; never
 * a token. Reads the object under a->lock, from any thread.
 */
#include "auth/auth.h"
#include "auth/auth_i.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "auth/store.h"
#include "util/clock.h"
#include "util/sbuf.h"

static int describe_expiry(struct sbuf *out, int64_t at_ms)
{
	time_t t = (time_t)(at_ms / 1000);
	int64_t left = (at_ms - clock_wall_ms()) / 1000;
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
