/*
 * The desktop OAuth flow (auth/login.h): the loopback listener, the URL
 * for the user (and xdg-open), the wait for the browser, and the exchange
 * of what it brings back. Runs on the thread that calls login_run (the
 * subcommand's or the mount's main thread); login_cancel from a signal.
 */
#include "auth/login.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "auth/auth.h"
#include "auth/callback.h"
#include "util/log.h"
#include "util/secret.h"

extern char **environ;

/* The listener of the login in progress, for login_cancel. */
static struct callback *volatile running;

void login_cancel(void)
{
	struct callback *cb = running;

	if (cb)
		callback_cancel(cb);
}

/* Whether PATH has an executable xdg-open. */
static bool have_xdg_open(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);

		if (n && n < sizeof(buf) - 10) {
			memcpy(buf, path, n);
			memcpy(buf + n, "/xdg-open", 10);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path = end ? end + 1 : NULL;
	}
	return false;
}

/*
 * Start xdg-open URL without waiting for it (a browser may stay in the
 * foreground). Its output goes to /dev/null so it does not garble ours.
 * The URL holds no secret (client id, scope, state), so argv is fine.
 */
static void open_url(const char *url)
{
	posix_spawn_file_actions_t fa;
	char prog[] = "xdg-open";
	char *copy = strdup(url);
	char *argv[] = {prog, copy, NULL};
	pid_t pid;

	if (!copy || posix_spawn_file_actions_init(&fa)) {
		free(copy);
		return;
	}
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		log_warn("could not start xdg-open");
	posix_spawn_file_actions_destroy(&fa);
	free(copy);
}

/* "?code=..&state=.." (or error=..) for auth_exchange's checks. */
static char *as_query(const struct callback_query *q)
{
	char *code = q->code ? curl_easy_escape(NULL, q->code, 0) : NULL;
	char *state = q->state ? curl_easy_escape(NULL, q->state, 0) : NULL;
	char *err = q->error ? curl_easy_escape(NULL, q->error, 0) : NULL;
	char *s = NULL;

	if (asprintf(&s, "?%s%s%s%s%s%s", code ? "code=" : "", code ? code : "",
		     state ? "&state=" : "", state ? state : "",
		     err ? "&error=" : "", err ? err : "") < 0)
		s = NULL;
	if (code) {
		OPENSSL_cleanse(code, strlen(code));
		curl_free(code);
	}
	curl_free(state);
	curl_free(err);
	return s;
}

/* A failure of the login's own steps (the listener, the URL, the wait). */
static enum auth_status step_status(int rc)
{
	switch (rc) {
	case -ENOMEM:
		return AUTH_NOMEM;
	case -EINVAL:
		return AUTH_BAD_INPUT;
	case -ETIMEDOUT:
		return AUTH_TIMEOUT;
	default:
		return AUTH_REFUSED; /* no credential came of it */
	}
}

enum auth_status login_run(struct auth *a, const char *callback_url,
			   int timeout_s, bool open_browser, FILE *tell,
			   char *err, size_t errlen)
{
	struct callback_query q;
	struct callback *cb = NULL;
	char *url = NULL, *pasted = NULL;
	enum auth_status st;
	int rc;

	memset(&q, 0, sizeof(q));
	rc = callback_start(callback_url, auth_url_state(a), &cb, err, errlen);
	if (rc)
		return step_status(rc);
	rc = auth_authorize_url(a, &url);
	if (rc) {
		snprintf(err, errlen, "cannot build the authorization URL");
		goto out;
	}
	running = cb;
	fprintf(tell,
		"Open this URL in a browser and allow access:\n\n  %s\n\n"
		"Waiting up to %d seconds for the redirect to %s ...\n",
		url, timeout_s, callback_url);
	fflush(tell);
	if (open_browser && have_xdg_open())
		open_url(url);
	rc = callback_wait(cb, timeout_s * 1000, &q);
	running = NULL;
	if (rc == -ETIMEDOUT) {
		snprintf(err, errlen,
			 "no answer from the browser within %d seconds; run "
			 "the command again, or use `smartsheetfs auth url` "
			 "and `auth exchange` where no browser can reach %s",
			 timeout_s, callback_url);
		goto out;
	}
	if (rc == -EINTR) {
		snprintf(err, errlen, "login cancelled");
		goto out;
	}
	if (rc) {
		snprintf(err, errlen, "waiting for the browser: %s",
			 strerror(-rc));
		goto out;
	}
	pasted = as_query(&q);
	if (!pasted) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	}
out:
	running = NULL;
	st = rc ? step_status(rc) : auth_exchange(a, pasted, err, errlen);
	secret_free(pasted);
	callback_query_release(&q);
	callback_stop(cb);
	free(url);
	return st;
}
