/*
 * smartsheetfs: mount a Smartsheet account; every sheet as CSV and JSON.
 *
 * Start-up order (STYLE F2): options, config, logging and libcurl, the
 * credential, a preflight GET /users/me, then fuse_new / fuse_mount /
 * fuse_daemonize and the loop. Failures before the mount go to the terminal
 * with the exit codes of SPEC §1.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <openssl/crypto.h>
#include <yajl/yajl_version.h>

#include "api/api.h"
#include "auth/auth.h"
#include "config/config.h"
#include "fs/cache.h"
#include "fs/ops.h"
#include "http/http.h"
#include "util/log.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_CONFIG = 2,
	EXIT_AUTH = 3,
	EXIT_UNREACHABLE = 4,
	EXIT_MOUNT = 5,
};

/*
 * Our request budget: a token bucket lets through rate + burst - 1 requests
 * in the worst minute, and Smartsheet allows 300 per token.
 */
#define MAIN_RATE_PER_MIN 270
#define MAIN_RATE_BURST 25

struct cli {
	char *config;
	char *cache_ttl;
	char *values;
	int crlf;
	int verbose;
	int quiet;
	int help;
	int version;
	char *pos[2];
	int npos;
	int too_many;
};

enum {
	KEY_HELP,
	KEY_VERSION,
};

#define CLI_OPT(t, p) {t, offsetof(struct cli, p), 1}

/* FUSE_OPT_KEY stores -1U in an unsigned long: libfuse's macro, not ours. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
static const struct fuse_opt cli_opts[] = {
	{"config=%s", offsetof(struct cli, config), 0},
	{"--config=%s", offsetof(struct cli, config), 0},
	{"--config %s", offsetof(struct cli, config), 0},
	{"cache_ttl=%s", offsetof(struct cli, cache_ttl), 0},
	{"values=%s", offsetof(struct cli, values), 0},
	CLI_OPT("crlf", crlf),
	CLI_OPT("verbose", verbose),
	CLI_OPT("quiet", quiet),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	/* What mount(8) and fstab pass along and FUSE has no use for. */
	FUSE_OPT_KEY("defaults", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("auto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("noauto", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("_netdev", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nofail", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("user", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("users", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nouser", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_END,
};
#pragma GCC diagnostic pop

static int cli_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct cli *c = data;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		c->help = 1;
		return 0;
	case KEY_VERSION:
		c->version = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (c->npos < 2) {
			c->pos[c->npos] = strdup(arg);
			if (!c->pos[c->npos])
				return -1;
			c->npos++;
		} else {
			c->too_many = 1;
		}
		return 0;
	case FUSE_OPT_KEY_OPT:
		if (strncmp(arg, "x-systemd.", 10) == 0 ||
		    strncmp(arg, "comment=", 8) == 0)
			return 0;
		return 1;
	default:
		return 1;
	}
}

static void usage(const char *prog)
{
	printf("usage: %s [OPTIONS] [CONFIG] MOUNTPOINT\n"
	       "       %s auth status [--config FILE]\n"
	       "       %s --help | --version\n"
	       "\n"
	       "Mount a Smartsheet account: every sheet as a CSV and a JSON "
	       "file.\n"
	       "\n"
	       "smartsheetfs options:\n"
	       "    -o config=FILE         INI file of connection properties\n"
	       "                           (default $SMARTSHEETFS_CONFIG, "
	       "else\n"
	       "                           $XDG_CONFIG_HOME/smartsheetfs/"
	       "config.ini)\n"
	       "    --config FILE          the same\n"
	       "    -o cache_ttl=SECONDS   serve without asking the API for "
	       "this long\n"
	       "                           (default %d)\n"
	       "    -o values=raw|display  cell text in CSV (default raw)\n"
	       "    -o crlf                CSV lines end in CRLF (default LF)\n"
	       "    -o uid=N,gid=N,umask=M owner and mode bits of every file\n"
	       "    -o ro                  mount read-only (it is anyway)\n"
	       "    -o verbose | -o quiet  log debug messages | errors only\n"
	       "    -f                     stay in the foreground\n"
	       "    -d                     FUSE debug output (implies -f)\n"
	       "    -s                     single-threaded\n"
	       "    -o allow_other         let other users in (needs "
	       "user_allow_other\n"
	       "                           in /etc/fuse.conf)\n"
	       "    -h, --help             this text\n"
	       "    -V, --version          versions of smartsheetfs and its "
	       "libraries\n"
	       "\n"
	       "Exit status: 0 ok, 1 usage, 2 configuration, 3 authentication, "
	       "4 API\n"
	       "unreachable, 5 mount failed.\n",
	       prog, prog, prog, CFG_DEFAULT_CACHE_TTL_S);
}

static void print_version(void)
{
	printf("smartsheetfs %s\n"
	       "libfuse %s\n"
	       "%s\n"
	       "%s\n"
	       "cJSON %s\n"
	       "yajl %d.%d.%d\n",
	       SSFS_VERSION, fuse_pkgversion(), curl_version(),
	       OpenSSL_version(OPENSSL_VERSION), cJSON_Version(),
	       YAJL_MAJOR, YAJL_MINOR, YAJL_MICRO);
}

static void cli_release(struct cli *c)
{
	free(c->config);
	free(c->cache_ttl);
	free(c->values);
	free(c->pos[0]);
	free(c->pos[1]);
}

/* Set by load_config: it failed only for want of a token (exit 3). */
static bool cfg_no_credential;

/*
 * Load the configuration: the file named on the command line or in
 * $SMARTSHEETFS_CONFIG must exist; the default one may be missing (a token
 * in the environment is enough). Then the command line on top.
 */
static int load_config(struct cfg *cfg, const struct cli *c,
		       const char *config)
{
	char err[CFG_ERRBUF_SIZE] = "";
	char *path = NULL;
	const char *env = getenv("SMARTSHEETFS_CONFIG");
	bool required = config || (env && *env);
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
	if (c->cache_ttl &&
	    cfg_parse_seconds(c->cache_ttl, 0, 86400, &cfg->cache_ttl_s)) {
		snprintf(err, sizeof(err),
			 "cache_ttl: expected whole seconds from 0 to 86400, "
			 "got '%s'",
			 c->cache_ttl);
		goto out;
	}
	if (c->values && cfg_parse_values(c->values, &cfg->values)) {
		snprintf(err, sizeof(err),
			 "values: expected raw or display, got '%s'",
			 c->values);
		goto out;
	}
	if (c->crlf)
		cfg->crlf = true;
	rc = cfg_finish(cfg, err, sizeof(err));
	cfg_no_credential = rc && cfg->auth_scheme == CFG_AUTH_TOKEN &&
			    !cfg->token;
out:
	if (rc)
		fprintf(stderr, "smartsheetfs: %s\n", err);
	free(path);
	return rc;
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
		return MAIN_RATE_PER_MIN;
	return (int)v;
}

static struct http *make_http(const struct cfg *cfg)
{
	struct http_opts ho = {
		.timeout_s = cfg->timeout_s,
		.rate_per_min = rate_per_min(),
		.rate_burst = MAIN_RATE_BURST,
		.ca_file = cfg->ssl_server_cert,
		.trace = log_get_level() >= LOG_DEBUG,
	};

	return http_new(&ho);
}

/* "Name <email>" of the token's user. */
static char *user_label(const struct model_user *u)
{
	char *s = NULL;

	if (asprintf(&s, "%s <%s>", u->name ? u->name : "",
		     u->email ? u->email : "") < 0)
		return NULL;
	return s;
}

/*
 * Preflight (SPEC §3): check the credential once. A token the API rejects
 * stops the mount (exit 3); an unreachable API does not.
 */
static int preflight(struct api *api, char **user, struct http_result *res_out)
{
	struct model_user u = {0};
	struct http_result res;
	int rc;

	memset(&res, 0, sizeof(res));
	rc = api_get_user(api, &u, &res);
	if (res_out)
		*res_out = res;
	if (rc == 0) {
		*user = user_label(&u);
		model_user_release(&u);
		return EXIT_OK;
	}
	if (rc == -EACCES) {
		fprintf(stderr,
			"smartsheetfs: the API rejected the access token: %s "
			"(HTTP %ld, errorCode %d)\n",
			res.message[0] ? res.message : "no reason given",
			res.status, res.error_code);
		return EXIT_AUTH;
	}
	fprintf(stderr,
		"smartsheetfs: warning: cannot reach the API (%s%s%s); "
		"mounting offline\n",
		strerror(-rc), res.message[0] ? ": " : "", res.message);
	return EXIT_UNREACHABLE;
}

static void on_sighup(int sig)
{
	(void)sig;
	fsops_request_drop();
}

static int install_sighup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(SIGHUP, &sa, NULL);
}

static int run_mount(struct fuse_args *args, struct fsops_ctx *x)
{
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config *lc = NULL;
	struct fuse *f = NULL;
	struct fuse_session *se;
	int rc = EXIT_MOUNT;

	memset(&opts, 0, sizeof(opts));
	if (fuse_parse_cmdline(args, &opts) != 0)
		return EXIT_USAGE;
	if (!opts.mountpoint) {
		fprintf(stderr, "smartsheetfs: no mount point given\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (opts.debug)
		log_set_level(LOG_DEBUG);
	f = fuse_new(args, fsops_table(), sizeof(struct fuse_operations), x);
	if (!f) {
		rc = EXIT_USAGE;
		goto out;
	}
	se = fuse_get_session(f);
	if (fuse_mount(f, opts.mountpoint) != 0)
		goto out_destroy;
	if (fuse_daemonize(opts.foreground) != 0)
		goto out_unmount;
	if (!opts.foreground)
		log_use_syslog();
	if (fuse_set_signal_handlers(se) != 0)
		goto out_unmount;
	/* libfuse ends the session on SIGHUP; ours drops caches instead. */
	if (install_sighup() != 0)
		goto out_signals;
	log_info("mounted on %s", opts.mountpoint);
	if (opts.singlethread) {
		rc = fuse_loop(f) ? EXIT_MOUNT : EXIT_OK;
	} else {
		lc = fuse_loop_cfg_create();
		if (!lc)
			goto out_signals;
		fuse_loop_cfg_set_clone_fd(lc, (unsigned int)opts.clone_fd);
		/* fuse_parse_cmdline leaves UINT_MAX when -o max_threads
		 * was not given. */
		if (opts.max_threads && opts.max_threads != UINT_MAX)
			fuse_loop_cfg_set_max_threads(lc, opts.max_threads);
		fuse_loop_cfg_set_idle_threads(lc, opts.max_idle_threads);
		rc = fuse_loop_mt(f, lc) ? EXIT_MOUNT : EXIT_OK;
		fuse_loop_cfg_destroy(lc);
	}
out_signals:
	fuse_remove_signal_handlers(se);
out_unmount:
	fuse_unmount(f);
out_destroy:
	fuse_destroy(f);
out:
	free(opts.mountpoint);
	return rc;
}

static int auth_command(int argc, char **argv);

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct cli c;
	struct cfg cfg;
	struct http *http = NULL;
	struct auth *auth = NULL;
	struct api *api = NULL;
	struct cache *cache = NULL;
	struct fsops_ctx x;
	struct cache_opts co;
	struct http_result pre;
	const char *config = NULL, *mountpoint = NULL;
	int rc;

	if (argc > 1 && strcmp(argv[1], "auth") == 0)
		return auth_command(argc - 2, argv + 2);

	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	cfg_init(&cfg);
	if (fuse_opt_parse(&args, &c, cli_opts, cli_proc) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (c.help) {
		usage(argv[0]);
		printf("\nFUSE options:\n");
		fuse_cmdline_help();
		fuse_lib_help(&args);
		rc = EXIT_OK;
		goto out;
	}
	if (c.version) {
		print_version();
		rc = EXIT_OK;
		goto out;
	}
	if (c.too_many || c.npos == 0) {
		fprintf(stderr, "usage: %s [OPTIONS] [CONFIG] MOUNTPOINT "
				"(--help for more)\n",
			argv[0]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (c.npos == 2) {
		config = c.pos[0];
		mountpoint = c.pos[1];
	} else {
		mountpoint = c.pos[0];
	}
	if (c.config)
		config = c.config;
	if (c.quiet)
		log_set_level(LOG_ERR);
	if (c.verbose)
		log_set_level(LOG_DEBUG);
	if (load_config(&cfg, &c, config)) {
		/* SPEC §1: no usable credential is status 3, not a config
		 * error. */
		rc = cfg_no_credential ? EXIT_AUTH : EXIT_CONFIG;
		goto out;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "smartsheetfs: libcurl failed to start\n");
		rc = EXIT_MOUNT;
		goto out;
	}
	http = make_http(&cfg);
	auth = http ? auth_new_token(cfg.token) : NULL;
	api = auth ? api_new(cfg.base_url, http, auth) : NULL;
	if (!api) {
		fprintf(stderr, "smartsheetfs: out of memory\n");
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	rc = preflight(api, &x.user, &pre);
	if (rc == EXIT_AUTH)
		goto out_curl;

	co.ttl_s = cfg.cache_ttl_s;
	co.render.display = cfg.values == CFG_VALUES_DISPLAY;
	co.render.crlf = cfg.crlf;
	cache = cache_new(api, &co);
	if (!cache) {
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	if (rc == EXIT_UNREACHABLE) /* .auth/status says so from the start */
		cache_note_result(cache, -EIO, &pre);
	x.cache = cache;
	x.auth = auth;
	x.api_base = cfg.base_url;
	x.ttl_s = cfg.cache_ttl_s;
	x.mounted_at = time(NULL);

	if (fuse_opt_add_arg(&args, "-osubtype=smartsheetfs,fsname=smartsheet,"
				    "default_permissions") ||
	    fuse_opt_add_arg(&args, mountpoint)) {
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	rc = run_mount(&args, &x);

out_curl:
	cache_free(cache);
	api_free(api);
	auth_free(auth);
	http_free(http);
	curl_global_cleanup();
out:
	free(x.user);
	cfg_release(&cfg);
	cli_release(&c);
	fuse_opt_free_args(&args);
	return rc;
}

static int auth_command(int argc, char **argv)
{
	struct cfg cfg;
	struct cli c;
	struct http *http = NULL;
	struct auth *auth = NULL;
	struct api *api = NULL;
	const char *config = NULL;
	char *user = NULL;
	int i, rc;

	memset(&c, 0, sizeof(c));
	cfg_init(&cfg);
	if (argc < 1) {
		fprintf(stderr, "usage: smartsheetfs auth status "
				"[--config FILE]\n");
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
		else {
			fprintf(stderr, "smartsheetfs: auth: unexpected '%s'\n",
				argv[i]);
			return EXIT_USAGE;
		}
	}
	if (strcmp(argv[0], "status") != 0) {
		fprintf(stderr,
			"smartsheetfs: auth %s: the OAuth commands are not in "
			"this version yet\n",
			argv[0]);
		return EXIT_USAGE;
	}
	if (load_config(&cfg, &c, config)) {
		cfg_release(&cfg);
		return cfg_no_credential ? EXIT_AUTH : EXIT_CONFIG;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	http = make_http(&cfg);
	auth = http ? auth_new_token(cfg.token) : NULL;
	api = auth ? api_new(cfg.base_url, http, auth) : NULL;
	if (!api) {
		rc = EXIT_MOUNT;
		goto out;
	}
	printf("scheme: PersonalAccessToken%s\napi: %s\n",
	       cfg.token_from_env ? " (from SMARTSHEET_ACCESS_TOKEN)" : "",
	       cfg.base_url);
	rc = preflight(api, &user, NULL);
	if (rc == EXIT_OK)
		printf("state: authorized\nuser: %s\n", user ? user : "");
	else if (rc == EXIT_AUTH)
		printf("state: rejected\n");
	else
		printf("state: unknown (API unreachable)\n");
out:
	free(user);
	api_free(api);
	auth_free(auth);
	http_free(http);
	curl_global_cleanup();
	cfg_release(&cfg);
	return rc;
}
