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
#include <stdarg.h>
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
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yajl/yajl_version.h>

#include "api/api.h"
#include "auth/auth.h"
#include "auth/login.h"
#include "config/config.h"
#include "cache/cache.h"
#include "cache/diskcache.h"
#include "cmd/cli.h"
#include "fs/ops.h"
#include "http/http.h"
#include "util/io.h"
#include "util/log.h"

/* inih has no version call: the Makefile passes pkg-config's. */
#ifndef SSFS_INIH_VERSION
#define SSFS_INIH_VERSION "unknown"
#endif

/* The warm-up's default pace: half of Smartsheet's 300 a minute, so a
 * typical account (150-200 sheets) is warm in about a minute and a half
 * and readers always keep the other half. */
#define MAIN_PREFETCH_PER_MIN 150
#define MAIN_PREFETCH_MAX 290
#define MAIN_READAHEAD 8
#define MAIN_READAHEAD_MAX 64
#define MAIN_PREFETCH_WORKERS 4

struct cli {
	char *config;
	char *cache_ttl;
	char *cache_dir;
	char *cache_max;
	int nodiskcache;
	char *prefetch;
	char *readahead;
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

#define CLI_OPT(t, p)                                                          \
	{                                                                      \
		t, offsetof(struct cli, p), 1                                  \
	}

/* FUSE_OPT_KEY stores -1U in an unsigned long: libfuse's macro, not ours. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
static const struct fuse_opt cli_opts[] = {
    {"config=%s", offsetof(struct cli, config), 0},
    {"--config=%s", offsetof(struct cli, config), 0},
    {"--config %s", offsetof(struct cli, config), 0},
    {"cache_ttl=%s", offsetof(struct cli, cache_ttl), 0},
    {"cache_dir=%s", offsetof(struct cli, cache_dir), 0},
    {"cache_max=%s", offsetof(struct cli, cache_max), 0},
    CLI_OPT("nodiskcache", nodiskcache),
    {"prefetch=%s", offsetof(struct cli, prefetch), 0},
    {"readahead=%s", offsetof(struct cli, readahead), 0},
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

/*
 * Every option of ours with its default. tests/integration/test_ecosystem.py
 * checks that each one is in man/smartsheetfs.1 and README.md.
 */
static void usage(const char *prog)
{
	printf("usage: %s [OPTIONS] [CONFIG] MOUNTPOINT\n"
	       "       %s auth url|login|exchange|refresh|status "
	       "[--config FILE] ...\n"
	       "       %s config import [--output FILE] [--force] "
	       "STRING|-\n"
	       "       %s --help | --version\n"
	       "\n"
	       "Mount a Smartsheet account: every sheet as a CSV and a JSON "
	       "file.\n"
	       "\n"
	       "smartsheetfs options:\n"
	       "    -o config=FILE         INI file of connection properties "
	       "(default\n"
	       "                           $SMARTSHEETFS_CONFIG, else\n"
	       "                           $XDG_CONFIG_HOME/smartsheetfs/"
	       "config.ini)\n"
	       "    --config FILE          the same as -o config=FILE\n"
	       "    -o cache_ttl=SECONDS   serve without asking the API for "
	       "this long\n"
	       "                           (default %d)\n"
	       "    -o cache_dir=DIR       keep rendered files here across "
	       "mounts\n"
	       "                           (default "
	       "$XDG_CACHE_HOME/smartsheetfs)\n"
	       "    -o cache_max=SIZE      cap of that cache, e.g. 500M or "
	       "2G (default 1G)\n"
	       "    -o nodiskcache         keep nothing on disk (default: "
	       "keep)\n"
	       "    -o prefetch=N          warm-up after the mount: fetch "
	       "every sheet not\n"
	       "                           held, N a minute, so sizes are "
	       "exact (default %d;\n"
	       "                           0: off)\n"
	       "    -o readahead=N         fetch the next N sheets ahead of "
	       "a reader going\n"
	       "                           through them in order (default "
	       "%d; 0: off)\n"
	       "    -o values=raw|display  cell text in CSV (default raw)\n"
	       "    -o crlf                CSV lines end in CRLF (default "
	       "LF)\n"
	       "    -o uid=N               owner of every file (default: "
	       "the mounting user)\n"
	       "    -o gid=N               group of every file (default: "
	       "the mounting\n"
	       "                           user's group)\n"
	       "    -o umask=M             every file and folder shows mode "
	       "0777 minus M\n"
	       "                           (default: not set; files 0444, "
	       "folders 0555);\n"
	       "                           .auth/ takes writes from the "
	       "mounting user or root\n"
	       "                           whatever the mode\n"
	       "    -o ro                  read-only mount (default off; "
	       "writes fail with\n"
	       "                           EROFS anyway)\n"
	       "    -o allow_other         let other users in (default off; "
	       "for a non-root\n"
	       "                           user it needs user_allow_other "
	       "in /etc/fuse.conf)\n"
	       "    -o verbose             log debug messages too (default: "
	       "info and up)\n"
	       "    -o quiet               log errors only (default: info "
	       "and up)\n"
	       "    -f                     stay in the foreground and log to "
	       "stderr (default:\n"
	       "                           daemonize and log to syslog)\n"
	       "    -d                     FUSE and HTTP debug output, "
	       "secrets redacted\n"
	       "                           (implies -f and -o verbose)\n"
	       "    -s                     single-threaded (default: "
	       "multi-threaded)\n"
	       "    -h, --help             this text\n"
	       "    -V, --version          versions of smartsheetfs and its "
	       "libraries\n"
	       "\n"
	       "fstab (through mount.fuse3):\n"
	       "    CONFIG MOUNTPOINT fuse.smartsheetfs defaults,_netdev 0 0\n"
	       "    defaults, auto, noauto, user, users, nouser, _netdev, "
	       "nofail, comment=\n"
	       "    and x-systemd.* are accepted and ignored.\n"
	       "\n"
	       "config import:\n"
	       "    --output FILE          where to write (default: the "
	       "default config path)\n"
	       "    --force                replace FILE if it exists\n"
	       "\n"
	       "Exit status: 0 ok, 1 usage, 2 configuration, 3 authentication, "
	       "4 API\n"
	       "unreachable, 5 mount failed. See smartsheetfs(1).\n",
	       prog, prog, prog, prog, CFG_DEFAULT_CACHE_TTL_S,
	       MAIN_PREFETCH_PER_MIN, MAIN_READAHEAD);
}

/* A count option (prefetch=, readahead=): *out untouched when absent. */
static bool parse_count_opt(const char *name, const char *text, long max,
			    int *out)
{
	long v;

	if (!text)
		return true;
	if (cfg_parse_seconds(text, 0, max, &v)) {
		fprintf(stderr,
			"smartsheetfs: %s: expected a whole number from 0 to "
			"%ld, got '%s'\n",
			name, max, text);
		return false;
	}
	*out = (int)v;
	return true;
}

static void print_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("smartsheetfs %s\n"
	       "libfuse %s\n"
	       "libcurl %s (%s)\n"
	       "%s\n"
	       "cJSON %s\n"
	       "inih %s\n"
	       "yajl %d.%d.%d\n"
	       "libmicrohttpd %s\n",
	       SSFS_VERSION, fuse_pkgversion(), cv->version,
	       cv->ssl_version ? cv->ssl_version : "no TLS",
	       OpenSSL_version(OPENSSL_VERSION), cJSON_Version(),
	       SSFS_INIH_VERSION, YAJL_MAJOR, YAJL_MINOR, YAJL_MICRO,
	       MHD_get_version());
}

/* libfuse's own messages take our path: stderr, or syslog once
 * daemonized. Its levels are syslog's. */
static void SSFS_PRINTF(2, 0)
    log_from_libfuse(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n)
		log_msg((int)level, "%s", line);
}

static void cli_release(struct cli *c)
{
	free(c->config);
	free(c->cache_ttl);
	free(c->cache_dir);
	free(c->cache_max);
	free(c->prefetch);
	free(c->readahead);
	free(c->values);
	free(c->pos[0]);
	free(c->pos[1]);
}

/* -d (FUSE debug) also traces HTTP; the transport is made before
 * fuse_parse_cmdline sees it. */
static bool has_debug_flag(const struct fuse_args *args)
{
	const char *o, *end;
	int i;

	for (i = 1; i < args->argc; i++) {
		if (strcmp(args->argv[i], "-d") == 0)
			return true;
		if (strncmp(args->argv[i], "-o", 2) != 0)
			continue;
		/* "-odebug,x" or "-o" "x,debug" (how fuse_opt_parse keeps
		 * the options it passes on) */
		o = args->argv[i][2]	 ? args->argv[i] + 2
		    : i + 1 < args->argc ? args->argv[i + 1]
					 : "";
		for (; *o; o = *end ? end + 1 : end) {
			end = strchr(o, ',');
			if (!end)
				end = o + strlen(o);
			if (end - o == 5 && strncmp(o, "debug", 5) == 0)
				return true;
		}
	}
	return false;
}

/* A GETANDREFRESH mount with no tokens runs the browser login first when
 * there is a desktop to open it on. */
static bool want_desktop_login(const struct cfg *cfg, struct auth *a)
{
	const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");

	return cfg->initiate == CFG_INITIATE_GETANDREFRESH &&
	       auth_get_state(a) == AUTH_STATE_WAITING &&
	       ((d && *d) || (w && *w));
}

/*
 * The credential at mount (SPEC §3): a personal token the API rejects
 * stops the mount (EXIT_AUTH); OAuth without usable tokens comes up
 * waiting for a code; an unreachable API comes up offline
 * (EXIT_UNREACHABLE, mounted anyway). A settings file that cannot be
 * decrypted stops it (EXIT_CONFIG).
 */
static int mount_credential(struct session *s, const struct cfg *cfg,
			    const char *mountpoint, char **user,
			    struct api_result *pre)
{
	char err[512] = "";
	int rc;

	memset(pre, 0, sizeof(*pre));
	rc = auth_start(s->auth, err, sizeof(err));
	if (rc == -EACCES && want_desktop_login(cfg, s->auth)) {
		rc = login_run(s->auth, cfg->callback_url, 180, true, stderr,
			       err, sizeof(err));
		if (rc == -EROFS) {
			/* In use, not saved: mount, but say so. */
			fprintf(stderr, "smartsheetfs: warning: %s\n", err);
			rc = 0;
		}
		if (rc && rc != -EIO && rc != -ETIMEDOUT)
			rc = -EACCES;
	}
	if (rc == -EACCES) {
		fprintf(stderr,
			"smartsheetfs: %s; mounting without access to the "
			"sheets: see %s/.auth/status\n",
			err, mountpoint);
		return EXIT_OK;
	}
	if (rc == -EIO || rc == -ETIMEDOUT) {
		fprintf(stderr, "smartsheetfs: warning: %s; mounting offline\n",
			err);
		snprintf(pre->message, sizeof(pre->message), "%.*s",
			 (int)sizeof(pre->message) - 1, err);
		return EXIT_UNREACHABLE;
	}
	if (rc) {
		fprintf(stderr, "smartsheetfs: %s\n", err);
		return EXIT_CONFIG;
	}
	rc = cli_preflight(s->api, user, pre, false);
	if (rc == EXIT_UNREACHABLE)
		fprintf(stderr, "smartsheetfs: mounting offline\n");
	if (rc == EXIT_AUTH && auth_is_oauth(s->auth)) {
		fprintf(stderr,
			"smartsheetfs: mounting without access to the "
			"sheets: see %s/.auth/status\n",
			mountpoint);
		rc = EXIT_OK;
	}
	return rc;
}

/* The disk cache's default cap. */
#define MAIN_DISK_CACHE_MAX (1ULL << 30)

struct disk_setup {
	struct diskcache *d;
	bool failed; /* a configuration error: stop */
};

/* "500M", "2G", "1048576": bytes. 0 or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'T':
	case 't':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (*end || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* $XDG_CACHE_HOME/smartsheetfs, else ~/.cache/smartsheetfs. */
static char *default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&p, "%s/smartsheetfs", xdg) < 0)
			p = NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.cache/smartsheetfs", home) < 0)
			p = NULL;
	}
	return p;
}

/*
 * Which account the files belong to, without asking the network (an
 * offline mount must find them): hex of SHA-256 over the API base and the
 * credential's identity (the personal token, or the OAuth client and its
 * settings file). Nothing about the token can be read back from it.
 */
static void cache_namespace(const struct cfg *cfg, char ns[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *id1 =
	    cfg->auth_scheme == CFG_AUTH_OAUTH ? cfg->client_id : cfg->token;
	const char *id2 =
	    cfg->auth_scheme == CFG_AUTH_OAUTH ? cfg->settings_location : "";

	snprintf(ns, 17, "%s", "0000000000000000");
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, cfg->base_url, strlen(cfg->base_url)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, id1 ? id1 : "", id1 ? strlen(id1) : 0) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, id2 ? id2 : "", id2 ? strlen(id2) : 0) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n >= 8)
		io_hex(md, 8, ns);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
}

/*
 * The disk cache (SPEC §6). A folder given with cache_dir= that cannot be
 * used stops the mount; the default one only warns (the mount works
 * without it).
 */
static struct diskcache *open_disk_cache(const struct cli *c,
					 const struct cfg *cfg,
					 struct disk_setup *ds)
{
	char err[512] = "", ns[17];
	uint64_t max = MAIN_DISK_CACHE_MAX;
	char *dir;
	int rc = 0;

	memset(ds, 0, sizeof(*ds));
	if (c->cache_max && parse_size(c->cache_max, &max)) {
		fprintf(stderr,
			"smartsheetfs: cache_max: expected a size "
			"such as 500M or 2G, got '%s'\n",
			c->cache_max);
		ds->failed = true;
		return NULL;
	}
	if (c->cache_dir && c->cache_dir[0] != '/') {
		/* The daemon runs from "/" once it is in the background. */
		char cwd[PATH_MAX];

		dir = NULL;
		if (getcwd(cwd, sizeof(cwd)) &&
		    asprintf(&dir, "%s/%s", cwd, c->cache_dir) < 0)
			dir = NULL;
	} else {
		dir = c->cache_dir ? strdup(c->cache_dir) : default_cache_dir();
	}
	if (!dir) {
		log_warn("no cache folder (HOME unset): nothing kept on disk");
		return NULL;
	}
	cache_namespace(cfg, ns);
	ds->d = diskcache_open(dir, ns, max, err, sizeof(err), &rc);
	if (!ds->d) {
		if (c->cache_dir) {
			fprintf(stderr, "smartsheetfs: cache_dir: %s\n", err);
			ds->failed = true;
		} else {
			log_warn("disk cache off: %s", err);
		}
	}
	free(dir);
	return ds->d;
}

static void on_sighup(int sig)
{
	int saved = errno;

	(void)sig;
	fsops_request_drop();
	errno = saved;
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
	x->single_thread = opts.singlethread != 0;
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
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(lc,
						       opts.max_idle_threads);
		rc = fuse_loop_mt(f, lc) ? EXIT_MOUNT : EXIT_OK;
		fuse_loop_cfg_destroy(lc);
	}
	/* Before fuse_unmount and fuse_destroy: no thread of ours may call
	 * into libfuse once its tables are freed. */
	fsops_session_ended(x);
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

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct cli c;
	struct cli_overrides ov;
	struct cfg cfg;
	struct session s = {0};
	struct cache *cache = NULL;
	struct disk_setup disk = {0};
	struct fsops_ctx x;
	struct cache_opts co;
	struct api_result pre;
	const char *config = NULL, *mountpoint = NULL;
	int rc;

	if (argc > 1 && strcmp(argv[1], "auth") == 0)
		return auth_command(argc - 2, argv + 2);
	/* "config MOUNTPOINT" stays a mount of the file named config. */
	if (argc > 2 && strcmp(argv[1], "config") == 0 &&
	    (strcmp(argv[2], "import") == 0 || strcmp(argv[2], "-h") == 0 ||
	     strcmp(argv[2], "--help") == 0))
		return config_command(argc - 2, argv + 2);
	fuse_set_log_func(log_from_libfuse);

	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	pthread_mutex_init(&x.user_lock, NULL);
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
		fprintf(stderr,
			"usage: %s [OPTIONS] [CONFIG] MOUNTPOINT "
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
	if (c.verbose || has_debug_flag(&args))
		log_set_level(LOG_DEBUG);
	ov.cache_ttl = c.cache_ttl;
	ov.values = c.values;
	ov.crlf = c.crlf;
	rc = cli_load_config(&cfg, config, &ov);
	if (rc)
		goto out;
	x.prefetch_opts.workers = MAIN_PREFETCH_WORKERS;
	x.prefetch_opts.per_min = MAIN_PREFETCH_PER_MIN;
	x.prefetch_opts.ahead = MAIN_READAHEAD;
	/* Without a disk cache the warm-up would hold every sheet in
	 * memory: only when asked for. */
	if (c.nodiskcache)
		x.prefetch_opts.per_min = 0;
	if (!parse_count_opt("prefetch", c.prefetch, MAIN_PREFETCH_MAX,
			     &x.prefetch_opts.per_min) ||
	    !parse_count_opt("readahead", c.readahead, MAIN_READAHEAD_MAX,
			     &x.prefetch_opts.ahead)) {
		rc = EXIT_CONFIG;
		goto out;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "smartsheetfs: libcurl failed to start\n");
		rc = EXIT_MOUNT;
		goto out;
	}
	if (session_open(&s, &cfg)) {
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	rc = mount_credential(&s, &cfg, mountpoint, &x.user, &pre);
	if (rc == EXIT_AUTH || rc == EXIT_CONFIG)
		goto out_curl;

	co.ttl_s = cfg.cache_ttl_s;
	co.disk = c.nodiskcache ? NULL : open_disk_cache(&c, &cfg, &disk);
	if (!c.nodiskcache && !co.disk && disk.failed) {
		rc = EXIT_CONFIG;
		goto out_curl;
	}
	co.render.display = cfg.values == CFG_VALUES_DISPLAY;
	co.render.crlf = cfg.crlf;
	cache = cache_new(s.api, &co);
	if (!cache) {
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	if (rc == EXIT_UNREACHABLE) /* .auth/status says so from the start */
		cache_note_result(cache, -EIO, &pre);
	x.cache = cache;
	x.auth = s.auth;
	x.api = s.api;
	x.api_base = cfg.base_url;
	x.ttl_s = cfg.cache_ttl_s;
	x.mounted_at = time(NULL);

	if (access(mountpoint, F_OK) != 0) {
		fprintf(stderr, "smartsheetfs: %s: %s\n", mountpoint,
			strerror(errno));
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	if (fuse_opt_add_arg(&args, "-osubtype=smartsheetfs,fsname=smartsheet,"
				    "default_permissions") ||
	    fuse_opt_add_arg(&args, mountpoint)) {
		rc = EXIT_MOUNT;
		goto out_curl;
	}
	rc = run_mount(&args, &x);

out_curl:
	cache_free(cache);
	diskcache_close(disk.d);
	session_close(&s);
	curl_global_cleanup();
out:
	free(x.user);
	pthread_mutex_destroy(&x.user_lock);
	cfg_release(&cfg);
	cli_release(&c);
	fuse_opt_free_args(&args);
	return rc;
}
