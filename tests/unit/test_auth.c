/*
 * auth.c against a fake token endpoint (libmicrohttpd on 127.0.0.1) and a
 * settings file in a temporary folder: when a refresh adopts the pair in
 * the file instead of asking /token, when it must not, how many /token
 * requests threads make near expiry, and what a refused refresh leaves.
 * Also the two maps of enum auth_status. Runs under ThreadSanitizer too
 * (scripts/tsan-check).
 */
#include "auth/auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "auth/store.h"
#include "cmd/cli.h"
#include "config/config.h"
#include "http/http.h"
#include "tests/unit/testlib.h"
#include "util/clock.h"
#include "util/sbuf.h"

#define SECRET "test-client-secret-0123456789"
#define PATHLEN 512
#define TOKLEN 64
#define THREADS 8
#define HOUR_MS 3600000

static char tmpdir[64]; /* from mkdtemp() */

/* ---- the fake token endpoint ---- */

/*
 * POST /2.0/token. A code starting "CODE" is good; a refresh must
 * present the live refresh token (a refresh rotates it, as Smartsheet's
 * does: the old one is dead). Every answer is a new pair "acc-N" /
 * "ref-N". Everything is protected by lock.
 */
struct fake {
	struct MHD_Daemon *daemon;
	int port;
	pthread_mutex_t lock;
	int refreshes;		/* refresh requests seen */
	int exchanges;		/* code exchanges answered with tokens */
	int seq;		/* pairs issued */
	char live[TOKLEN];	/* the refresh token that works */
	char presented[TOKLEN]; /* what the last refresh presented */
	int delay_ms;		/* before answering a refresh */
	bool refuse;		/* answer refreshes with invalid_grant */
	long expires_in;	/* of the pairs issued, seconds */
};

static struct fake fake;

static void fake_set_live(const char *refresh)
{
	pthread_mutex_lock(&fake.lock);
	snprintf(fake.live, sizeof(fake.live), "%s", refresh);
	pthread_mutex_unlock(&fake.lock);
}

static int fake_refreshes(void)
{
	int n;

	pthread_mutex_lock(&fake.lock);
	n = fake.refreshes;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/* The value of name in an x-www-form-urlencoded body, into out. */
static bool form_value(const char *body, const char *name, char *out,
		       size_t outlen)
{
	size_t n = strlen(name);
	const char *p = body, *end;

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			p += n + 1;
			end = strchr(p, '&');
			snprintf(out, outlen, "%.*s",
				 (int)(end ? (size_t)(end - p) : strlen(p)), p);
			return true;
		}
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* The answer to a complete request body; a new string. */
static char *token_answer(const char *body, unsigned *status)
{
	char grant[32] = "", value[TOKLEN] = "", *out = NULL;
	struct timespec pause = {0, 0};
	bool ok = false;
	int n;

	form_value(body, "grant_type", grant, sizeof(grant));
	pthread_mutex_lock(&fake.lock);
	if (strcmp(grant, "refresh_token") == 0 &&
	    form_value(body, "refresh_token", value, sizeof(value))) {
		fake.refreshes++;
		snprintf(fake.presented, sizeof(fake.presented), "%s", value);
		ok = !fake.refuse && strcmp(value, fake.live) == 0;
		pause.tv_nsec = fake.delay_ms * 1000000L;
	} else if (strcmp(grant, "authorization_code") == 0 &&
		   form_value(body, "code", value, sizeof(value))) {
		ok = strncmp(value, "CODE", 4) == 0;
		fake.exchanges += ok;
	}
	n = ok ? ++fake.seq : 0;
	if (ok)
		snprintf(fake.live, sizeof(fake.live), "ref-%d", n);
	*status = ok ? MHD_HTTP_OK : MHD_HTTP_BAD_REQUEST;
	if (ok && asprintf(&out,
			   "{\"access_token\":\"acc-%d\",\"token_type\":"
			   "\"bearer\",\"refresh_token\":\"ref-%d\","
			   "\"expires_in\":%ld}",
			   n, n, fake.expires_in) < 0)
		out = NULL;
	if (!ok && asprintf(&out, "{\"errorCode\":1071,\"message\":\"Invalid "
				  "grant\",\"refId\":\"r1\",\"error\":"
				  "\"invalid_grant\"}") < 0)
		out = NULL;
	pthread_mutex_unlock(&fake.lock);
	if (pause.tv_nsec)
		nanosleep(&pause, NULL); /* the answer is on its way */
	return out;
}

static enum MHD_Result fake_answer(void *cls, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *version, const char *upload,
				   size_t *upload_size, void **req_cls)
{
	struct sbuf *body = *req_cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_NOT_FOUND;
	char *text;

	(void)cls;
	(void)version;
	if (!body) { /* the headers: make room for the body */
		body = calloc(1, sizeof(*body));
		if (!body)
			return MHD_NO;
		sbuf_init(body, 1 << 16);
		*req_cls = body;
		return MHD_YES;
	}
	if (*upload_size) {
		if (sbuf_add(body, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") == 0 && strcmp(url, "/2.0/token") == 0)
		text = token_answer(body->buf, &status);
	else
		text = strdup("{}");
	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void fake_completed(void *cls, struct MHD_Connection *conn,
			   void **req_cls, enum MHD_RequestTerminationCode why)
{
	struct sbuf *body = *req_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (body) {
		sbuf_release(body);
		free(body);
	}
	*req_cls = NULL;
}

static bool fake_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&fake.lock, NULL);
	fake.expires_in = 3600;
	fake.daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
	    NULL, NULL, fake_answer, NULL, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_NOTIFY_COMPLETED, fake_completed, NULL, MHD_OPTION_END);
	if (!fake.daemon)
		return false;
	info = MHD_get_daemon_info(fake.daemon, MHD_DAEMON_INFO_BIND_PORT);
	fake.port = info ? (int)info->port : 0;
	return fake.port > 0;
}

/* Forget what earlier tests did. */
static void fake_reset(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.refreshes = fake.exchanges = fake.seq = 0;
	fake.live[0] = fake.presented[0] = '\0';
	fake.delay_ms = 0;
	fake.refuse = false;
	pthread_mutex_unlock(&fake.lock);
}

/* ---- the auth under test ---- */

static struct http *http;

/* OAuth with GETANDREFRESH, the fake's /token, settings at path. */
static struct auth *new_auth(const char *path)
{
	char text[1024], err[CFG_ERRBUF_SIZE] = "";
	struct auth *a = NULL;
	struct cfg c;

	cfg_init(&c);
	snprintf(text, sizeof(text),
		 "[connection]\nAuthScheme = OAuth\nOAuthClientId = cid\n"
		 "OAuthClientSecret = " SECRET "\n"
		 "BaseURL = http://127.0.0.1:%d/2.0\n",
		 fake.port);
	CHECK_INT(cfg_load_string(&c, text, "t.ini", tmpdir, err, sizeof(err)),
		  0);
	if (err[0])
		fprintf(stderr, "config: %s\n", err);
	CHECK_INT(cfg_finish(&c, err, sizeof(err)), 0);
	/* Set here: an INI line holds at most 199 characters. */
	free(c.settings_location);
	c.settings_location = strdup(path);
	a = auth_new_oauth(&c, http);
	CHECK(a != NULL);
	cfg_release(&c);
	return a;
}

/* Save a pair to path with the store API, as another process does; it
 * expires in_ms from now. */
static void save_pair(const char *path, const char *access, const char *refresh,
		      int64_t in_ms)
{
	struct store *s = store_open(path, SECRET);
	struct store_tokens t;
	char err[512] = "", base[64];

	snprintf(base, sizeof(base), "http://127.0.0.1:%d/2.0", fake.port);
	memset(&t, 0, sizeof(t));
	t.access_token = strdup(access);
	t.refresh_token = strdup(refresh);
	t.api_base = strdup(base);
	t.expires_at_ms = clock_wall_ms() + in_ms;
	CHECK(s != NULL);
	if (s)
		CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "save_pair: %s\n", err);
	store_tokens_release(&t);
	store_close(s);
}

/* What the settings file holds now: its access token, in buf. */
static const char *file_access(const char *path, char *buf, size_t len)
{
	struct store *s = store_open(path, SECRET);
	struct store_tokens t;
	char err[512];

	memset(&t, 0, sizeof(t));
	buf[0] = '\0';
	if (s && store_load(s, &t, err, sizeof(err)) == 0)
		snprintf(buf, len, "%s", t.access_token ? t.access_token : "");
	store_tokens_release(&t);
	store_close(s);
	return buf;
}

/*
 * A settings file in a fresh folder tmpdir/name (its path in path) holding
 * the pair acc-<tag>/ref-<tag>, live at the fake and expiring in_ms from
 * now, and an auth started on it.
 */
static struct auth *started(char *path, const char *name, const char *tag,
			    int64_t in_ms)
{
	char acc[TOKLEN], ref[TOKLEN], err[512] = "";
	struct auth *a;

	fake_reset();
	t_fresh_dir(path, PATHLEN, tmpdir, name, "OAuthSettings.txt");
	snprintf(acc, sizeof(acc), "acc-%s", tag);
	snprintf(ref, sizeof(ref), "ref-%s", tag);
	save_pair(path, acc, ref, in_ms);
	fake_set_live(ref);
	a = new_auth(path);
	if (a)
		CHECK_INT(auth_start(a, err, sizeof(err)), AUTH_OK);
	return a;
}

/* auth_get_bearer's token (or "" on failure) into buf; its return. */
static int bearer_of(struct auth *a, char *buf, size_t len)
{
	char *b = NULL;
	int rc = auth_get_bearer(a, &b);

	snprintf(buf, len, "%s", rc == 0 && b ? b : "");
	auth_bearer_free(b);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static bool describes(struct auth *a, const char *what)
{
	struct sbuf sb = SBUF_INIT(1 << 16);
	bool found = auth_describe(a, true, &sb) == 0 && strstr(sb.buf, what);

	if (!found)
		fprintf(stderr, "status lacks \"%s\":\n%s", what, sb.buf);
	sbuf_release(&sb);
	return found;
}

/* ---- the outcome maps (STYLE E3) ---- */

static void test_auth_status_maps(void)
{
	static const struct {
		enum auth_status st;
		int err;  /* a write to .auth/verifier or .auth/refresh */
		int exit; /* a subcommand */
	} cases[] = {
	    {AUTH_OK, 0, EXIT_OK},
	    {AUTH_OK_UNSAVED, 0, EXIT_CONFIG},
	    {AUTH_REFUSED, -EACCES, EXIT_AUTH},
	    {AUTH_UNREACHABLE, -EIO, EXIT_UNREACHABLE},
	    {AUTH_TIMEOUT, -ETIMEDOUT, EXIT_UNREACHABLE},
	    {AUTH_NO_LOCK, -EIO, EXIT_CONFIG},
	    {AUTH_BAD_SETTINGS, -EACCES, EXIT_CONFIG},
	    {AUTH_OFF, -EPERM, EXIT_CONFIG},
	    {AUTH_BAD_INPUT, -EACCES, EXIT_USAGE},
	    {AUTH_NOMEM, -ENOMEM, EXIT_AUTH},
	    /* Not a value of the enum: a refusal, never success. */
	    {(enum auth_status)99, -EACCES, EXIT_AUTH},
	    {(enum auth_status) - 1, -EACCES, EXIT_AUTH},
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		if (auth_status_to_errno(cases[i].st) != cases[i].err ||
		    auth_status_to_exit(cases[i].st) != cases[i].exit)
			fprintf(stderr, "  status %d\n", (int)cases[i].st);
		CHECK_INT(auth_status_to_errno(cases[i].st), cases[i].err);
		CHECK_INT(auth_status_to_exit(cases[i].st), cases[i].exit);
	}
	/* Every value of the enum is in the table above. */
	CHECK_INT(AUTH_NOMEM + 1, 10);
}

/* ---- refresh versus adopt ---- */

/*
 * Another process refreshed (its pair, saved later, is in the file, and
 * the endpoint killed ours): near expiry, the pair is adopted from the
 * file, with no /token request.
 */
static void test_auth_adopts_newer_pair_from_file(void)
{
	char path[PATHLEN], got[TOKLEN];
	struct auth *a = started(path, "adopt", "mine", 1000);

	if (!a)
		return;
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-mine");
	save_pair(path, "acc-other", "ref-other", HOUR_MS);
	fake_set_live("ref-other");
	sleep_ms(1000); /* ours is expiring now */
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-other");
	CHECK_INT(fake_refreshes(), 0);
	auth_free(a);
}

/*
 * A refresh whose pair could not be saved: the pair in use is newer than
 * the file's (which Smartsheet killed when it rotated), so the next
 * refresh must not swap it for the file's, but refresh with it.
 *
 * The save fails deterministically, even as root: the settings file's
 * name is 246 bytes, so it and "<name>.lock" (+5) and "<name>.reserve"
 * (+8) fit NAME_MAX (255), but the temporary file a save writes beside it,
 * "<name>.tmp.XXXXXX" (+11), does not. The first pair is saved under a
 * short name and renamed.
 */
static void test_auth_keeps_unsaved_pair_over_older_file(void)
{
	char dir[PATHLEN / 2], path[PATHLEN], shortp[PATHLEN], name[247];
	char got[TOKLEN], err[512] = "";
	enum auth_status st;
	struct auth *a;

	fake_reset();
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	t_fresh_dir(shortp, sizeof(shortp), tmpdir, "unsaved", "short.txt");
	snprintf(dir, sizeof(dir), "%s/unsaved", tmpdir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	save_pair(shortp, "acc-0", "ref-0", HOUR_MS);
	CHECK_INT(rename(shortp, path), 0);
	fake_set_live("ref-0");
	a = new_auth(path);
	if (!a)
		return;
	CHECK_INT(auth_start(a, err, sizeof(err)), AUTH_OK);

	/* Refreshed (ref-0 is now dead), not saved: the premise. */
	st = auth_refresh_now(a, NULL, err, sizeof(err));
	CHECK_INT(st, AUTH_OK_UNSAVED);
	CHECK(strstr(err, "cannot save") != NULL);
	CHECK(describes(a, "tokens not saved"));
	CHECK_STR(file_access(path, got, sizeof(got)), "acc-0");
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-1");

	/* The API refuses acc-1 (a 401): refresh with ref-1, not ref-0. */
	CHECK_INT(auth_rejected(a, "acc-1"), 0);
	CHECK_INT(fake_refreshes(), 2);
	pthread_mutex_lock(&fake.lock);
	CHECK_STR(fake.presented, "ref-1");
	pthread_mutex_unlock(&fake.lock);
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-2");
	CHECK_INT(auth_get_state(a), AUTH_STATE_AUTHORIZED);
	auth_free(a);
}

struct racer {
	pthread_t thread;
	struct auth *a;
	pthread_barrier_t *go;
	int rc;
	char bearer[TOKLEN];
};

static void *race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = bearer_of(r->a, r->bearer, sizeof(r->bearer));
	return NULL;
}

/*
 * THREADS readers find the token expiring at once: one refresh reaches
 * /token (answered slowly, so the others are waiting meanwhile); the others
 * adopt its pair.
 */
static void test_auth_threads_refresh_once(void)
{
	struct racer r[THREADS];
	pthread_barrier_t go;
	char path[PATHLEN];
	struct auth *a = started(path, "threads", "old", 1000);
	int i;

	if (!a)
		return;
	pthread_mutex_lock(&fake.lock);
	fake.delay_ms = 300;
	pthread_mutex_unlock(&fake.lock);
	sleep_ms(1000);
	pthread_barrier_init(&go, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		r[i].a = a;
		r[i].go = &go;
		r[i].rc = -1;
		CHECK_INT(pthread_create(&r[i].thread, NULL, race, &r[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(r[i].thread, NULL);
	pthread_barrier_destroy(&go);
	CHECK_INT(fake_refreshes(), 1);
	for (i = 0; i < THREADS; i++) {
		CHECK_INT(r[i].rc, 0);
		CHECK_STR(r[i].bearer, "acc-1");
	}
	auth_free(a);
}

/*
 * Smartsheet refuses the refresh token (invalid_grant): the state says to
 * authorize again, what is held stays in use until it expires, no refresh
 * is tried again on the way, and a new code recovers with no remount.
 */
static void test_auth_refused_refresh_then_new_code(void)
{
	char path[PATHLEN], got[TOKLEN], err[512] = "";
	enum auth_status st;
	struct auth *a = started(path, "refused", "held", HOUR_MS);

	if (!a)
		return;
	pthread_mutex_lock(&fake.lock);
	fake.refuse = true;
	pthread_mutex_unlock(&fake.lock);

	st = auth_refresh_now(a, NULL, err, sizeof(err));
	CHECK_INT(st, AUTH_REFUSED);
	CHECK_INT(auth_status_to_errno(st), -EACCES); /* echo > .auth/refresh */
	CHECK(strstr(err, "invalid_grant") != NULL);
	CHECK_INT(auth_get_state(a), AUTH_STATE_REFRESH_FAILED);
	CHECK(describes(a, "refused the refresh token"));
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-held");
	CHECK_INT(auth_rejected(a, "acc-held"), -EACCES);
	CHECK_INT(fake_refreshes(), 1);
	CHECK_STR(file_access(path, got, sizeof(got)), "acc-held");

	/* A new code written to .auth/verifier. */
	CHECK_INT(auth_exchange(a, "CODE-new", err, sizeof(err)), AUTH_OK);
	CHECK_INT(auth_get_state(a), AUTH_STATE_AUTHORIZED);
	CHECK(auth_usable(a));
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-1");
	CHECK_STR(file_access(path, got, sizeof(got)), "acc-1");
	/* And refreshes work again, with the new pair. */
	pthread_mutex_lock(&fake.lock);
	fake.refuse = false;
	pthread_mutex_unlock(&fake.lock);
	CHECK_INT(auth_refresh_now(a, NULL, err, sizeof(err)), AUTH_OK);
	CHECK_INT(bearer_of(a, got, sizeof(got)), 0);
	CHECK_STR(got, "acc-2");
	auth_free(a);
}

int main(void)
{
	struct http_opts ho;

	if (!t_mkdtemp(tmpdir, sizeof(tmpdir), "auth"))
		return 1;
	/* Only 127.0.0.1, never through a proxy from the environment. */
	setenv("no_proxy", "*", 1);
	setenv("NO_PROXY", "*", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&ho, 0, sizeof(ho));
	ho.timeout_s = 10;
	http = http_new(&ho);
	if (!http || !fake_start()) {
		fprintf(stderr, "cannot start the fake token endpoint\n");
		return 1;
	}

	T(test_auth_status_maps);
	T(test_auth_adopts_newer_pair_from_file);
	T(test_auth_keeps_unsaved_pair_over_older_file);
	T(test_auth_threads_refresh_once);
	T(test_auth_refused_refresh_then_new_code);

	MHD_stop_daemon(fake.daemon);
	pthread_mutex_destroy(&fake.lock);
	http_free(http);
	curl_global_cleanup();
	t_rmtree(tmpdir);
	return t_run();
}
