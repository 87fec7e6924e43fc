/*
 * The mount, from a loaded configuration to the end of the session (SPEC
 * §3, STYLE F2): the credential and preflight, the disk cache, the stack
 * http -> auth -> api -> cache -> prefetch -> fs wired together with the
 * cache's hooks, fuse_new / fuse_mount / fuse_daemonize, the loop, and the
 * teardown in reverse. Runs on the main thread; the prefetch threads it
 * starts are joined before fuse_unmount and fuse_destroy.
 */
#include "cmd/mount.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse.h>
#include <fuse_lowlevel.h>

#include "api/api.h"
#include "auth/auth.h"
#include "auth/login.h"
#include "auth/status.h"
#include "cache/cache.h"
#include "cache/diskcache.h"
#include "cache/journal.h"
#include "cache/prefetch.h"
#include "cache/save.h"
#include "cache/savelog.h"
#include "cache/source.h"
#include "cmd/cli.h"
#include "cmd/paths.h"
#include "config/config.h"
#include "fs/ops.h"
#include "http/http.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/log.h"

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
	enum auth_status st;
	int rc;

	memset(pre, 0, sizeof(*pre));
	st = auth_start(s->auth, err, sizeof(err));
	if (st == AUTH_REFUSED && want_desktop_login(cfg, s->auth)) {
		st = login_run(s->auth, cfg->callback_url, 180, true, stderr,
			       err, sizeof(err));
		if (st == AUTH_OK_UNSAVED) {
			/* In use, not saved: mount, but say so. */
			fprintf(stderr, "smartsheetfs: warning: %s\n", err);
			st = AUTH_OK;
		}
		if (st != AUTH_OK &&
		    auth_status_to_exit(st) != EXIT_UNREACHABLE)
			st = AUTH_REFUSED;
	}
	if (st == AUTH_REFUSED) {
		fprintf(stderr,
			"smartsheetfs: %s; mounting without access to the "
			"sheets: see %s/.auth/status\n",
			err, mountpoint);
		return EXIT_OK;
	}
	rc = auth_status_to_exit(st);
	if (rc == EXIT_UNREACHABLE) {
		fprintf(stderr, "smartsheetfs: warning: %s; mounting offline\n",
			err);
		snprintf(pre->message, sizeof(pre->message), "%.*s",
			 (int)sizeof(pre->message) - 1, err);
		return EXIT_UNREACHABLE;
	}
	if (rc) {
		/* Whatever else went wrong, the mount stops on it. */
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
#define MOUNT_DISK_CACHE_MAX (1ULL << 30)

struct disk_setup {
	struct diskcache *d;
	bool failed; /* a configuration error: stop */
};

/*
 * The disk cache (SPEC §6). A folder given with cache_dir= that cannot be
 * used stops the mount; the default one only warns (the mount works
 * without it).
 */
static struct diskcache *open_disk_cache(const struct mount_opts *c,
					 const struct cfg *cfg,
					 struct disk_setup *ds)
{
	char err[512] = "", ns[17];
	uint64_t max = MOUNT_DISK_CACHE_MAX;
	char *dir;
	int rc = 0;

	memset(ds, 0, sizeof(*ds));
	if (c->cache_max && mount_parse_size(c->cache_max, &max)) {
		fprintf(stderr,
			"smartsheetfs: cache_max: expected a size "
			"such as 500M or 2G, got '%s'\n",
			c->cache_max);
		ds->failed = true;
		return NULL;
	}
	dir = c->cache_dir ? mount_absolute(c->cache_dir) : mount_default_cache_dir();
	if (!dir) {
		log_warn("no cache folder (HOME unset): nothing kept on disk");
		return NULL;
	}
	mount_namespace(cfg, ns);
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

/* ---- write-back (SPEC §8): the state folder and its journal ---- */

/* What scratch files may hold in all by default. */
#define MOUNT_SCRATCH_MAX (256ULL << 20)

/* journal_recover: a save the last daemon did not finish. */
static void on_recovered(void *arg, const char *path, const char *name)
{
	struct cache *cache = arg;
	struct savelog_entry e;

	memset(&e, 0, sizeof(e));
	e.wall_ms = clock_wall_ms();
	snprintf(e.path, sizeof(e.path), "%s", path);
	e.err = -EIO;
	snprintf(e.message, sizeof(e.message),
		 "found after a crash: the daemon stopped during this save; "
		 "what landed is unknown");
	snprintf(e.rejected, sizeof(e.rejected), "%s", name);
	e.unknown = 1;
	savelog_add(cache_savelog(cache), &e);
	log_warn("%s: found after a crash: a save was in progress; its text "
		 "is in .rejected/%s",
		 path, name);
}

/* The state folder: made if missing, ours, and no one else may write it
 * (the texts of saves go there). 0, or -1 with a message. */
static int check_state_dir(const char *dir)
{
	char failed[512] = "";
	struct stat st;
	int rc;

	rc = file_mkdirs(dir, failed, sizeof(failed));
	if (rc) {
		fprintf(stderr, "smartsheetfs: state_dir: %s: cannot create it: %s\n",
			failed, strerror(-rc));
		return -1;
	}
	if (stat(dir, &st) != 0) {
		fprintf(stderr, "smartsheetfs: state_dir: %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		fprintf(stderr,
			"smartsheetfs: state_dir: %s: %s (it keeps what you "
			"write: make it yours, chmod 700)\n",
			dir,
			st.st_uid != geteuid() ? "belongs to another user"
					       : "others may write it");
		return -1;
	}
	return 0;
}

/*
 * -o write: the journal in the state folder (an unsafe folder stops the
 * mount), write-back on in the cache, and the saves a crash interrupted
 * turned into rejected files. EXIT_OK or EXIT_CONFIG.
 */
static int open_write(const struct mount_opts *mo, const struct cfg *cfg,
		      struct cache *cache, struct fsops_ctx *x)
{
	uint64_t max = MOUNT_SCRATCH_MAX;
	char err[512] = "", ns[17];
	char *dir;
	int n;

	if (mo->scratch_max && mount_parse_size(mo->scratch_max, &max)) {
		fprintf(stderr,
			"smartsheetfs: scratch_max: expected a size such as "
			"64M or 1G, got '%s'\n",
			mo->scratch_max);
		return EXIT_CONFIG;
	}
	mount_namespace(cfg, ns);
	dir = mo->state_dir ? mount_absolute(mo->state_dir) : mount_default_state_dir(ns);
	if (!dir) {
		fprintf(stderr, "smartsheetfs: state_dir: no folder for the "
				"write-back state (HOME unset): give "
				"state_dir=\n");
		return EXIT_CONFIG;
	}
	if (check_state_dir(dir) == 0)
		x->journal = journal_open(dir, err, sizeof(err));
	else
		err[0] = '\0';
	if (!x->journal && err[0])
		fprintf(stderr, "smartsheetfs: state_dir: %s\n", err);
	free(dir);
	if (!x->journal)
		return EXIT_CONFIG;
	cache_enable_write(cache, x->journal);
	n = journal_recover(x->journal, on_recovered, cache);
	if (n < 0)
		log_err("state_dir: cannot look for unfinished saves: %s",
			strerror(-n));
	x->write = true;
	x->scratch_max = max;
	return EXIT_OK;
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

/* ---- what the cache tells the layers above (installed here, M1) ---- */

struct wiring {
	struct fsops_ctx *fs;
	struct prefetch *prefetch; /* NULL when both are off */
};

static void hook_listing_changed(void *arg)
{
	struct wiring *w = arg;

	prefetch_listing_changed(w->prefetch);
}

static void hook_stale(void *arg, const struct cache_ref *ref)
{
	struct wiring *w = arg;

	prefetch_soon(w->prefetch, ref);
}

static void hook_size_changed(void *arg, int64_t id)
{
	struct wiring *w = arg;

	fsops_invalidate_sheet(w->fs, id);
}

/*
 * After fuse_daemonize (a fork keeps only the calling thread) and before
 * the loop: the hooks first, then the threads that call them.
 */
static void start_background(struct wiring *w, struct cache *cache,
			     const struct cache_source *src,
			     const struct prefetch_opts *po)
{
	struct cache_hooks hooks = {
	    .listing_changed = hook_listing_changed,
	    .stale = hook_stale,
	    .size_changed = hook_size_changed,
	    .ctx = w,
	};

	cache_set_hooks(cache, &hooks);
	/* sizes=exact fetches a folder's sheets on the pool's threads. */
	if (po->per_min <= 0 && po->ahead <= 0 && !w->fs->sizes_exact)
		return;
	w->prefetch = prefetch_new(cache, src, po);
	if (!w->prefetch || prefetch_start(w->prefetch)) {
		log_warn("warm-up and read-ahead are off: cannot start their "
			 "threads");
		prefetch_stop(w->prefetch);
		w->prefetch = NULL;
	}
	w->fs->prefetch = w->prefetch;
}

/*
 * The session loop returned: stop the prefetch threads and unhook the
 * cache before fuse_unmount and fuse_destroy (which frees libfuse's path
 * tables before it calls our destroy), so that no thread of ours calls into
 * libfuse from then on.
 */
static void stop_background(struct wiring *w, struct cache *cache)
{
	static const struct cache_hooks none = {0};

	w->fs->prefetch = NULL;
	prefetch_stop(w->prefetch);
	w->prefetch = NULL;
	cache_set_hooks(cache, &none);
	w->fs->fuse = NULL;
}

static int run_loop(struct fuse *f, const struct fuse_cmdline_opts *opts)
{
	struct fuse_loop_config *lc;
	int rc;

	if (opts->singlethread)
		return fuse_loop(f) ? EXIT_MOUNT : EXIT_OK;
	lc = fuse_loop_cfg_create();
	if (!lc)
		return EXIT_MOUNT;
	fuse_loop_cfg_set_clone_fd(lc, (unsigned int)opts->clone_fd);
	/* fuse_parse_cmdline leaves UINT_MAX when -o max_threads was not
	 * given. */
	if (opts->max_threads && opts->max_threads != UINT_MAX)
		fuse_loop_cfg_set_max_threads(lc, opts->max_threads);
	if (opts->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(lc, opts->max_idle_threads);
	rc = fuse_loop_mt(f, lc) ? EXIT_MOUNT : EXIT_OK;
	fuse_loop_cfg_destroy(lc);
	return rc;
}

static int run_mount(struct fuse_args *args, struct fsops_ctx *x,
		     const struct cache_source *src,
		     const struct prefetch_opts *po)
{
	struct fuse_cmdline_opts opts;
	struct wiring w = {.fs = x};
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
	x->fuse = f;
	start_background(&w, x->cache, src, po);
	rc = run_loop(f, &opts);
	stop_background(&w, x->cache);
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

int mount_main(struct fuse_args *args, const struct cfg *cfg,
	       const struct mount_opts *mo)
{
	struct session s = {0};
	struct cache_api_source src;
	struct cache *cache = NULL;
	struct disk_setup disk = {0};
	struct fsops_ctx x;
	struct cache_opts co;
	struct api_result pre;
	char *user = NULL;
	int rc;

	memset(&x, 0, sizeof(x));
	if (session_open(&s, cfg))
		return EXIT_MOUNT;
	rc = mount_credential(&s, cfg, mo->mountpoint, &user, &pre);
	if (rc == EXIT_AUTH || rc == EXIT_CONFIG)
		goto out;

	memset(&co, 0, sizeof(co));
	co.ttl_s = cfg->cache_ttl_s;
	co.disk = mo->nodiskcache ? NULL : open_disk_cache(mo, cfg, &disk);
	if (!mo->nodiskcache && !co.disk && disk.failed) {
		rc = EXIT_CONFIG;
		goto out;
	}
	co.render.display = cfg->values == CFG_VALUES_DISPLAY;
	co.render.crlf = cfg->crlf;
	co.render.bom = mo->bom;
	co.ndjson = mo->ndjson;
	cache_api_source_init(&src, s.api);
	cache = cache_new(&src.source, &co);
	if (!cache) {
		rc = EXIT_MOUNT;
		goto out;
	}
	if (rc == EXIT_UNREACHABLE) /* .auth/status says so from the start */
		cache_note_result(cache, -EIO, &pre);
	if (user && cache_set_user(cache, user)) {
		rc = EXIT_MOUNT;
		goto out;
	}
	x.cache = cache;
	x.auth = s.auth;
	x.api_base = cfg->base_url;
	x.ttl_s = cfg->cache_ttl_s;
	x.ndjson = mo->ndjson;
	x.sizes_exact = mo->sizes_exact;
	x.mounted_at = time(NULL);
	if (mo->write) {
		rc = open_write(mo, cfg, cache, &x);
		if (rc)
			goto out;
	}

	if (access(mo->mountpoint, F_OK) != 0) {
		fprintf(stderr, "smartsheetfs: %s: %s\n", mo->mountpoint,
			strerror(errno));
		rc = EXIT_MOUNT;
		goto out;
	}
	if (fuse_opt_add_arg(args, "-osubtype=smartsheetfs,fsname=smartsheet,"
				   "default_permissions") ||
	    fuse_opt_add_arg(args, mo->mountpoint)) {
		rc = EXIT_MOUNT;
		goto out;
	}
	rc = run_mount(args, &x, &src.source, &mo->prefetch);
out:
	cache_free(cache);
	/* After the cache (its saves use it) and the FUSE session (whose
	 * destroy keeps what was left unsaved). */
	journal_close(x.journal);
	diskcache_close(disk.d);
	session_close(&s);
	free(user);
	return rc;
}
