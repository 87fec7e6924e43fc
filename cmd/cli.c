/*
 * The pieces the mount and the `auth` subcommands share, and the
 * subcommands themselves (SPEC §1): url, login, exchange, refresh, status.
 * They print expiry times, never tokens (unless --show-tokens).
 */
#include "cmd/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "api/api.h"
#include "auth/auth.h"
#include "auth/login.h"
#include "config/values.h"
#include "http/http.h"
#include "util/log.h"
#include "util/sbuf.h"
#include "util/secret.h"

/*
 * Our request budget in any 61 s (http/window.c): Smartsheet allows 300
 * a minute per token; ten are left for a CLI command run beside a mount.
 */
#define CLI_RATE_PER_MIN 290
/* How long `auth login` waits for the browser by default. */
#define CLI_LOGIN_TIMEOUT_S 180
#define CLI_ERR 512

int cli_load_config(struct cfg *cfg, const char *config,
		    const struct cli_overrides *o)
{
	char err[CFG_ERRBUF_SIZE] = "";
	char *path = NULL;
	const char *env = getenv("SMARTSHEETFS_CONFIG");
	bool required = config || (env && *env);
	bool no_credential = false;
	struct stat st;
	int rc;

	if (config)
		path = strdup(config);
	else if (env && *env)
		path = strdup(env);
	else
		path = cfg_default_path();
	if (path && (required || stat(path, &st) == 0)) {
		rc = cfg_load_file(cfg, path, err, sizeof(err));
		if (rc)
			goto out;
	}
	rc = -EINVAL;
	if (o && o->cache_ttl &&
	    cfg_parse_seconds(o->cache_ttl, 0, 86400, &cfg->cache_ttl_s)) {
		snprintf(err, sizeof(err),
			 "cache_ttl: expected whole seconds from 0 to 86400, "
			 "got '%s'",
			 o->cache_ttl);
		goto out;
	}
	if (o && o->values && cfg_parse_values(o->values, &cfg->values)) {
		snprintf(err, sizeof(err),
			 "values: expected raw or display, got '%s'",
			 o->values);
		goto out;
	}
	if (o && o->crlf)
		cfg->crlf = true;
	rc = cfg_finish(cfg, err, sizeof(err));
	no_credential = rc && cfg->auth_scheme == CFG_AUTH_TOKEN && !cfg->token;
out:
	if (rc)
		fprintf(stderr, "smartsheetfs: %s\n", err);
	free(path);
	if (!rc)
		return EXIT_OK;
	/* SPEC §1: no usable credential is status 3, not a config error. */
	return no_credential ? EXIT_AUTH : EXIT_CONFIG;
}

/*
 * SSFS_RATE_PER_MIN overrides the request budget (0: unlimited). It is a
 * test knob: the suite talks to a fake server on loopback.
 */
static int rate_per_min(void)
{
	const char *env = getenv("SSFS_RATE_PER_MIN");
	long v;

	if (!env || cfg_parse_seconds(env, 0, 100000, &v))
		return CLI_RATE_PER_MIN;
	return (int)v;
}

/*
 * SSFS_BACKOFF_SCALE multiplies every retry's backoff (0 to 1000; 0: no
 * wait). A test knob too, read here so that http/ reads no environment.
 */
static void backoff_scale(struct http_opts *ho)
{
	const char *env = getenv("SSFS_BACKOFF_SCALE");
	char *end;
	double v;

	if (!env || !*env)
		return;
	errno = 0;
	v = strtod(env, &end);
	if (errno || *end || !(v >= 0.0) || v > 1000.0) {
		log_warn("ignoring SSFS_BACKOFF_SCALE=%s", env);
		return;
	}
	ho->backoff_scale = v;
	ho->backoff_scale_set = true;
}

int session_open(struct session *s, const struct cfg *cfg)
{
	struct http_opts ho = {
	    .timeout_s = cfg->timeout_s,
	    .rate_per_min = rate_per_min(),
	    .ca_file = cfg->ssl_server_cert,
	    .proxy = cfg->proxy_server,
	    .proxy_port = cfg->proxy_port,
	    .proxy_user = cfg->proxy_user,
	    .proxy_password = cfg->proxy_password,
	    .trace = log_get_level() >= LOG_DEBUG,
	};

	memset(s, 0, sizeof(*s));
	backoff_scale(&ho);
	s->http = http_new(&ho);
	if (s->http)
		s->auth = cfg->auth_scheme == CFG_AUTH_OAUTH
			      ? auth_new_oauth(cfg, s->http)
			      : auth_new_token(cfg->token);
	if (s->auth)
		s->api = api_new(cfg->base_url, s->http, s->auth);
	if (!s->api) {
		fprintf(stderr, "smartsheetfs: out of memory\n");
		session_close(s);
		return -ENOMEM;
	}
	return 0;
}

void session_close(struct session *s)
{
	api_free(s->api);
	auth_free(s->auth);
	http_free(s->http);
	memset(s, 0, sizeof(*s));
}

int cli_preflight(struct api *api, char **user, struct api_result *res_out,
		  bool quiet)
{
	struct model_user u = {0};
	struct api_result res;
	int rc;

	memset(&res, 0, sizeof(res));
	rc = api_get_user(api, &u, &res);
	if (res_out)
		*res_out = res;
	if (rc == 0) {
		*user = model_user_label(&u);
		model_user_release(&u);
		return EXIT_OK;
	}
	if (rc == -EACCES) {
		if (!quiet)
			fprintf(stderr,
				"smartsheetfs: the API rejected the access "
				"token: %s (HTTP %ld, errorCode %d%s%s)\n",
				res.message[0] ? res.message
					       : "no reason given",
				res.status, res.error_code,
				res.ref_id[0] ? ", refId " : "", res.ref_id);
		return EXIT_AUTH;
	}
	if (!quiet)
		fprintf(
		    stderr,
		    "smartsheetfs: warning: cannot reach the API (%s%s%s)\n",
		    strerror(-rc), res.message[0] ? ": " : "", res.message);
	return EXIT_UNREACHABLE;
}

/* ---- the auth subcommands ---- */

struct auth_args {
	const char *cmd;
	const char *config;
	const char *code;
	char *refresh_token; /* secret: wiped */
	long timeout_s;
	bool show_tokens;
	bool no_browser;
};

static int auth_usage(void)
{
	fprintf(stderr,
		"usage: smartsheetfs auth url      [--config FILE]\n"
		"       smartsheetfs auth login    [--config FILE] "
		"[--timeout SECONDS] [--no-browser]\n"
		"       smartsheetfs auth exchange [--config FILE] "
		"CODE|REDIRECT-URL|-\n"
		"       smartsheetfs auth refresh  [--config FILE] "
		"[--refresh-token TOKEN|-]\n"
		"       smartsheetfs auth status   [--config FILE]\n"
		"  --show-tokens   also print the new tokens (url, login, "
		"exchange, refresh)\n"
		"  '-' reads the value from standard input, out of sight "
		"of ps(1)\n");
	return EXIT_USAGE;
}

/* A line from standard input, without its newline. New string. */
static char *read_stdin_line(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int parse_auth_args(int argc, char **argv, struct auth_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->timeout_s = CLI_LOGIN_TIMEOUT_S;
	if (argc < 1)
		return auth_usage();
	a->cmd = argv[0];
	for (i = 1; i < argc; i++) {
		const char *v = argv[i];

		if (strcmp(v, "--config") == 0 && i + 1 < argc) {
			a->config = argv[++i];
		} else if (strncmp(v, "--config=", 9) == 0) {
			a->config = v + 9;
		} else if (strcmp(v, "--show-tokens") == 0) {
			a->show_tokens = true;
		} else if (strcmp(v, "--no-browser") == 0) {
			a->no_browser = true;
		} else if (strcmp(v, "--timeout") == 0 && i + 1 < argc &&
			   cfg_parse_seconds(argv[i + 1], 1, 3600,
					     &a->timeout_s) == 0) {
			i++;
		} else if (strcmp(v, "--refresh-token") == 0 && i + 1 < argc &&
			   !a->refresh_token) {
			v = argv[++i];
			if (strcmp(v, "-") == 0) {
				a->refresh_token = read_stdin_line();
			} else {
				/* In argv, other users may see it in ps:
				 * take a copy and blank the original. */
				fprintf(stderr,
					"smartsheetfs: warning: a token on the "
					"command line is visible to other "
					"users; use --refresh-token - to read "
					"it from standard input\n");
				a->refresh_token = strdup(v);
				OPENSSL_cleanse(argv[i], strlen(argv[i]));
			}
			if (!a->refresh_token || !a->refresh_token[0]) {
				fprintf(stderr, "smartsheetfs: auth: no "
						"refresh token given\n");
				return EXIT_USAGE;
			}
		} else if (v[0] != '-' || strcmp(v, "-") == 0) {
			if (a->code || strcmp(a->cmd, "exchange") != 0) {
				fprintf(stderr,
					"smartsheetfs: auth %s: unexpected "
					"'%s'\n",
					a->cmd, v);
				return auth_usage();
			}
			a->code = v;
		} else {
			fprintf(stderr,
				"smartsheetfs: auth %s: unknown option '%s'\n",
				a->cmd, v);
			return auth_usage();
		}
	}
	return EXIT_OK;
}

static void print_expiry(struct auth *a)
{
	int64_t at = auth_expires_at_ms(a);
	time_t t = (time_t)(at / 1000);
	struct tm tm;
	char when[32];

	if (!at) {
		printf("authorized; the access token's expiry is unknown\n");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("authorized; the access token expires %s\n", when);
}

/* Say why an auth_* step failed; its exit status. */
static int auth_failure(enum auth_status st, const char *err)
{
	fprintf(stderr, "smartsheetfs: %s\n", err);
	return auth_status_to_exit(st);
}

static int show_tokens(struct auth *a)
{
	char *bearer = NULL;

	/* Only the access token is handed out; the refresh token stays in
	 * the settings file. */
	if (auth_get_bearer(a, &bearer))
		return EXIT_AUTH;
	printf("access_token: %s\n", bearer);
	auth_bearer_free(bearer);
	return EXIT_OK;
}

static void on_interrupt(int sig)
{
	(void)sig;
	login_cancel();
}

static int cmd_login(struct session *s, const struct cfg *cfg,
		     const struct auth_args *aa)
{
	struct sigaction sa, old_int, old_term;
	char err[CLI_ERR] = "";
	enum auth_status st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	st = login_run(s->auth, cfg->callback_url, (int)aa->timeout_s,
		       !aa->no_browser, stdout, err, sizeof(err));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	/* A login that timed out got no credential, whichever wait it was. */
	if (st != AUTH_OK && st != AUTH_OK_UNSAVED)
		return auth_failure(st == AUTH_TIMEOUT ? AUTH_REFUSED : st,
				    err);
	print_expiry(s->auth);
	if (st == AUTH_OK_UNSAVED)
		return auth_failure(st, err);
	return EXIT_OK;
}

static int cmd_status(struct session *s, const struct cfg *cfg)
{
	struct sbuf sb = SBUF_INIT(1 << 16);
	char err[CLI_ERR] = "";
	char *user = NULL;
	enum auth_status st;
	int rc;

	printf("scheme: %s%s\napi: %s\n", auth_scheme_name(s->auth),
	       cfg->token_from_env ? " (from SMARTSHEET_ACCESS_TOKEN)" : "",
	       cfg->base_url);
	st = auth_start(s->auth, err, sizeof(err));
	if (st == AUTH_BAD_SETTINGS)
		return auth_failure(st, err);
	/* auth_start does not log its reason: this is the one line. */
	if (st != AUTH_OK)
		fprintf(stderr, "smartsheetfs: %s\n", err);
	/* Unreachable: the tokens held may still work. */
	rc = st == AUTH_OK || auth_status_to_exit(st) == EXIT_UNREACHABLE
		 ? cli_preflight(s->api, &user, NULL, true)
		 : EXIT_AUTH;
	if (rc == EXIT_OK)
		printf("state: authorized\nuser: %s\n", user ? user : "");
	else if (rc == EXIT_UNREACHABLE)
		printf("state: unknown (API unreachable)\n");
	else if (auth_get_state(s->auth) == AUTH_STATE_WAITING)
		printf("state: waiting for a code\n");
	else if (auth_get_state(s->auth) == AUTH_STATE_REFRESH_FAILED)
		printf("state: refresh failed\n");
	else
		printf("state: rejected\n");
	if (auth_describe(s->auth, false, &sb) == 0)
		fputs(sb.buf, stdout);
	sbuf_release(&sb);
	free(user);
	return rc;
}

static int run_auth(struct session *s, const struct cfg *cfg,
		    const struct auth_args *aa)
{
	char err[CLI_ERR] = "";
	char *url = NULL, *code = NULL;
	enum auth_status st;
	int rc = EXIT_OK;

	if (strcmp(aa->cmd, "status") == 0)
		return cmd_status(s, cfg);
	if (!auth_is_oauth(s->auth)) {
		fprintf(stderr,
			"smartsheetfs: auth %s: needs AuthScheme = "
			"OAuth in the config file\n",
			aa->cmd);
		return EXIT_CONFIG;
	}
	if (strcmp(aa->cmd, "url") == 0) {
		st = auth_remember_state(s->auth, err, sizeof(err));
		if (st != AUTH_OK)
			return auth_failure(st, err);
		if (auth_authorize_url(s->auth, &url))
			return EXIT_MOUNT;
		printf("%s\n", url);
		free(url);
		return EXIT_OK;
	}
	if (strcmp(aa->cmd, "login") == 0) {
		rc = cmd_login(s, cfg, aa);
	} else if (strcmp(aa->cmd, "exchange") == 0) {
		if (!aa->code)
			return auth_usage();
		code = strcmp(aa->code, "-") == 0 ? read_stdin_line()
						  : strdup(aa->code);
		if (!code)
			return auth_usage();
		auth_expect_remembered_state(s->auth);
		st = auth_exchange(s->auth, code, err, sizeof(err));
		secret_free(code);
		if (st != AUTH_OK && st != AUTH_OK_UNSAVED)
			return auth_failure(st, err);
		print_expiry(s->auth);
		if (st != AUTH_OK)
			return auth_failure(st, err);
	} else if (strcmp(aa->cmd, "refresh") == 0) {
		st = auth_refresh_now(s->auth, aa->refresh_token, err,
				      sizeof(err));
		if (st != AUTH_OK)
			return auth_failure(st, err);
		print_expiry(s->auth);
	} else {
		return auth_usage();
	}
	if (rc == EXIT_OK && aa->show_tokens)
		rc = show_tokens(s->auth);
	return rc;
}

int auth_command(int argc, char **argv)
{
	struct auth_args aa;
	struct session s;
	struct cfg cfg;
	int rc;

	rc = parse_auth_args(argc, argv, &aa);
	if (rc)
		goto out_args;
	if (strcmp(aa.cmd, "url") != 0 && strcmp(aa.cmd, "login") != 0 &&
	    strcmp(aa.cmd, "exchange") != 0 && strcmp(aa.cmd, "refresh") != 0 &&
	    strcmp(aa.cmd, "status") != 0) {
		fprintf(stderr, "smartsheetfs: auth: unknown command '%s'\n",
			aa.cmd);
		rc = auth_usage();
		goto out_args;
	}
	cfg_init(&cfg);
	rc = cli_load_config(&cfg, aa.config, NULL);
	if (rc)
		goto out_cfg;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = EXIT_MOUNT;
		goto out_cfg;
	}
	if (session_open(&s, &cfg)) {
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	rc = run_auth(&s, &cfg, &aa);
	session_close(&s);
out_curl:
	curl_global_cleanup();
out_cfg:
	cfg_release(&cfg);
out_args:
	secret_free(aa.refresh_token);
	return rc;
}
