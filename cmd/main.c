/*
 * smartsheetfs: mount a Smartsheet account; every sheet as CSV and JSON.
 *
 * The program: the subcommands (auth, config import), the mount options
 * (fuse_opt), --help and --version, the configuration, then the mount
 * (cmd/mount.c). Failures before the mount go to the terminal with the
 * exit codes of SPEC §1. Main thread only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <yajl/yajl_version.h>

#include "config/values.h"
#include "cmd/cli.h"
#include "cmd/mount.h"
#include "config/config.h"
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
	int ndjson;
	int bom;
	char *sizes;
	int write;
	char *scratch_max;
	char *state_dir;
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
    CLI_OPT("ndjson", ndjson),
    CLI_OPT("bom", bom),
    {"sizes=%s", offsetof(struct cli, sizes), 0},
    CLI_OPT("write", write),
    {"scratch_max=%s", offsetof(struct cli, scratch_max), 0},
    {"state_dir=%s", offsetof(struct cli, state_dir), 0},
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
	       "    -o bom                 CSV files start with a UTF-8 byte "
	       "order mark, for\n"
	       "                           Excel (default off: it breaks awk "
	       "and cut on the\n"
	       "                           first field)\n"
	       "    -o ndjson              every sheet also as <name>.ndjson, "
	       "one row object\n"
	       "                           a line (default off)\n"
	       "    -o sizes=lazy|exact    lazy: a file not held shows size 0 "
	       "until read;\n"
	       "                           exact: a stat waits for its "
	       "content, and a listing\n"
	       "                           fetches its folder first (for tar "
	       "and zip)\n"
	       "                           (default lazy)\n",
	       prog, prog, prog, prog, CFG_DEFAULT_CACHE_TTL_S,
	       MAIN_PREFETCH_PER_MIN, MAIN_READAHEAD);
	printf("    -o write               write rows back: append to a "
	       "sheet's CSV, save an\n"
	       "                           edited CSV or JSON (default off: "
	       "every write is\n"
	       "                           EROFS); also Write = true under "
	       "[mount]\n"
	       "    -o scratch_max=SIZE    memory for editors' temporary "
	       "files with -o write,\n"
	       "                           e.g. 64M (default 256M)\n"
	       "    -o state_dir=DIR       where saves in progress and "
	       "rejected texts are kept\n"
	       "                           with -o write (default\n"
	       "                           $XDG_STATE_HOME/smartsheetfs/"
	       "<account hash>)\n"
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
	       "without -o write,\n"
	       "                           writes fail with EROFS anyway)\n"
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
	       "unreachable, 5 mount failed. See smartsheetfs(1).\n");
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
	free(c->sizes);
	free(c->scratch_max);
	free(c->state_dir);
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

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct cli c;
	struct cli_overrides ov;
	struct cfg cfg;
	struct mount_opts mo;
	const char *config = NULL;
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
	memset(&mo, 0, sizeof(mo));
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
		mo.mountpoint = c.pos[1];
	} else {
		mo.mountpoint = c.pos[0];
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
	mo.cache_dir = c.cache_dir;
	mo.cache_max = c.cache_max;
	mo.nodiskcache = c.nodiskcache;
	mo.ndjson = c.ndjson;
	mo.bom = c.bom;
	mo.write = c.write || cfg.write;
	mo.scratch_max = c.scratch_max;
	mo.state_dir = c.state_dir;
	if (c.sizes && strcmp(c.sizes, "exact") == 0) {
		mo.sizes_exact = true;
	} else if (c.sizes && strcmp(c.sizes, "lazy") != 0) {
		fprintf(stderr,
			"smartsheetfs: sizes: expected lazy or exact, got "
			"'%s'\n",
			c.sizes);
		rc = EXIT_CONFIG;
		goto out;
	}
	mo.prefetch.workers = MAIN_PREFETCH_WORKERS;
	mo.prefetch.per_min = MAIN_PREFETCH_PER_MIN;
	mo.prefetch.ahead = MAIN_READAHEAD;
	/* Without a disk cache the warm-up would hold every sheet in
	 * memory: only when asked for. */
	if (c.nodiskcache)
		mo.prefetch.per_min = 0;
	if (!parse_count_opt("prefetch", c.prefetch, MAIN_PREFETCH_MAX,
			     &mo.prefetch.per_min) ||
	    !parse_count_opt("readahead", c.readahead, MAIN_READAHEAD_MAX,
			     &mo.prefetch.ahead)) {
		rc = EXIT_CONFIG;
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "smartsheetfs: libcurl failed to start\n");
		rc = EXIT_MOUNT;
		goto out;
	}
	rc = mount_main(&args, &cfg, &mo);
	curl_global_cleanup();
out:
	cfg_release(&cfg);
	cli_release(&c);
	fuse_opt_free_args(&args);
	return rc;
}
