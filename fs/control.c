/*
 * The control files of .auth/ (SPEC §3): the text of status and url, and
 * the writes to verifier (a code or redirect URL to exchange) and refresh,
 * which do their work inside write so that `echo CODE > .auth/verifier`
 * fails in the shell when the code is refused. FUSE worker threads.
 */
#include "fs/control_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <fuse.h>

#include "auth/auth.h"
#include "auth/status.h"
#include "cache/cache.h"
#include "cache/prefetch.h"
#include "fs/ops.h"
#include "util/log.h"
#include "util/clock.h"
#include "util/compat.h"
#include "util/sbuf.h"

/*
 * Writes (the .auth/ control files; sheet files with write-back) belong to
 * the user who mounted, or root: mode bits are not enough, since umask=
 * and allow_other can open them to every local user (SPEC §8).
 */
int control_may_write(void)
{
	const struct fuse_context *fc = fuse_get_context();

	if (fc && (fc->uid == getuid() || fc->uid == 0))
		return 0;
	return -EACCES;
}

static const char *state_name(enum auth_state s)
{
	switch (s) {
	case AUTH_STATE_AUTHORIZED:
		return "authorized";
	case AUTH_STATE_WAITING:
		return "waiting for a code";
	case AUTH_STATE_REFRESH_FAILED:
		return "refresh failed";
	case AUTH_STATE_REJECTED:
		return "rejected";
	}
	return "unknown";
}

/* The text of .auth/status: never a secret. */
static int status_text(struct fsops_ctx *x, struct sbuf *sb)
{
	enum auth_state st = auth_get_state(x->auth);
	int rc;

	rc = sbuf_addf(sb, "state: %s\nscheme: %s\nuser: ", state_name(st),
		       auth_scheme_name(x->auth));
	if (!rc)
		rc = cache_user_text(x->cache, sb);
	if (!rc)
		rc = sbuf_addf(sb, "\napi: %s\n", x->api_base);
	if (!rc)
		rc = cache_status(x->cache, sb);
	if (!rc)
		rc = prefetch_status(x->prefetch, sb);
	if (!rc)
		rc = auth_describe(x->auth, true, sb);
	return rc;
}

/* The text of .auth/url: the authorization URL and a line on its use. */
static int url_text(struct fsops_ctx *x, struct sbuf *sb)
{
	char *url = NULL;
	int rc = auth_authorize_url(x->auth, &url);

	if (!rc)
		rc = sbuf_addf(sb, "%s\n", url);
	free(url);
	return rc;
}

/*
 * A write to .auth/verifier or .auth/refresh does its work inside the
 * write call, so `echo CODE > .auth/verifier` fails in the shell when the
 * code is refused (SPEC §3). Each write is taken whole (a code or URL is
 * far below the size the kernel splits writes at).
 */
int control_write(struct fsops_ctx *x, struct handle *h, const char *buf,
		  size_t size)
{
	const char *name =
	    h->kind == NODE_AUTH_VERIFIER ? AUTH_VERIFIER : AUTH_REFRESH;
	char err[512] = "";
	enum auth_status st;
	int rc;

	if (size > AUTH_WRITE_MAX)
		return -EFBIG;
	/* What stat measured is the state before this write. */
	control_release();
	sbuf_reset(&h->in);
	rc = sbuf_add(&h->in, buf, size);
	if (rc)
		return rc;
	if (h->kind == NODE_AUTH_VERIFIER)
		st = auth_exchange(x->auth, h->in.buf, err, sizeof(err));
	else
		st = auth_refresh_now(x->auth, NULL, err, sizeof(err));
	/* auth_* leave err to us: this is its one log line (AUTH_OK_UNSAVED
	 * too: tokens in use but not saved). */
	if (st != AUTH_OK)
		log_err("%s: %s", name, err);
	rc = auth_status_to_errno(st);
	if (rc == 0) {
		/* New credential: what was cached under the old one (or
		 * refused without one) is stale, and the user may differ. */
		cache_drop_all(x->cache);
		if (h->kind == NODE_AUTH_VERIFIER)
			cache_refresh_user(x->cache);
		sbuf_reset(&h->in);
		return (int)size;
	}
	sbuf_reset(&h->in);
	return rc;
}

/*
 * The text of a control file as stat showed it, so that the open right
 * after (rsync, tar: stat, then open and read st_size bytes) serves the
 * same bytes: taken by that open only, and dropped by a write to .auth/.
 * One session per process, like the open handles in ops.c.
 */
#define SNAPSHOT_MAX_AGE_S 2.0

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot {
	char *text; /* protected by snap_lock */
	size_t len;
	double at; /* monotonic seconds */
} snaps[2];   /* status, url */

static int render(struct fsops_ctx *x, enum node_kind k, struct sbuf *sb)
{
	return k == NODE_AUTH_STATUS ? status_text(x, sb) : url_text(x, sb);
}

int control_size(struct fsops_ctx *x, enum node_kind k, int64_t *size)
{
	struct snapshot *sn = &snaps[k == NODE_AUTH_STATUS ? 0 : 1];
	struct sbuf sb = SBUF_INIT(1 << 20);
	char *text;
	size_t len;
	int rc;

	rc = render(x, k, &sb);
	if (rc)
		return rc;
	text = sbuf_detach(&sb, &len);
	if (!text)
		return -ENOMEM;
	pthread_mutex_lock(&snap_lock);
	free(sn->text);
	sn->text = text;
	sn->len = len;
	sn->at = clock_mono_s();
	pthread_mutex_unlock(&snap_lock);
	*size = (int64_t)len;
	return 0;
}

int control_text(struct fsops_ctx *x, enum node_kind k, struct sbuf *sb)
{
	struct snapshot *sn = &snaps[k == NODE_AUTH_STATUS ? 0 : 1];
	int rc = 1;

	char *text = NULL;
	size_t len = 0;

	/* Taken once: the open right after the stat that measured it. */
	pthread_mutex_lock(&snap_lock);
	if (sn->text && clock_mono_s() - sn->at < SNAPSHOT_MAX_AGE_S) {
		text = sn->text;
		len = sn->len;
	} else {
		free(sn->text);
	}
	sn->text = NULL;
	pthread_mutex_unlock(&snap_lock);
	if (text)
		rc = sbuf_add(sb, text, len);
	free(text);
	return rc == 1 ? render(x, k, sb) : rc;
}

void control_release(void)
{
	size_t i;

	pthread_mutex_lock(&snap_lock);
	for (i = 0; i < SSFS_ARRAY_SIZE(snaps); i++) {
		free(snaps[i].text);
		snaps[i].text = NULL;
	}
	pthread_mutex_unlock(&snap_lock);
}
