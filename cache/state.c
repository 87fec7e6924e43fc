/*
 * What the cache knows of its connection and its account: online or
 * offline since when, the backoff while offline, the last error for
 * .auth/status, who the credential belongs to; and the clock of its
 * source. Any thread; everything under c->lock.
 */
#include "cache/cache_i.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/model.h"
#include "util/log.h"
#include "util/sbuf.h"

double cache_mono(const struct cache *c)
{
	return c->src.ops->mono_s(c->src.ctx);
}

double cache_wall(const struct cache *c)
{
	return c->src.ops->wall_s(c->src.ctx);
}

bool cache_is_network_error(int rc)
{
	return rc == -EIO || rc == -ETIMEDOUT;
}

/*
 * No usable answer: nothing came back (a connection failure or a timeout,
 * each of which can cost a connect timeout), or the server kept failing
 * (5xx, 429) through the retries. A malformed answer is not: the server is
 * there, and the next request may well get a good one.
 */
static bool unreachable(int rc, const struct api_result *res)
{
	return cache_is_network_error(rc) &&
	       (!res || res->status == 0 || res->status == 429 ||
		res->status >= 500);
}

/* The longest wait between two tries while offline: cache_ttl. */
static double retry_cap(const struct cache *c)
{
	double cap = (double)c->opts.ttl_s;

	if (cap < 1.0)
		cap = 1.0;
	return cap > CACHE_OFFLINE_RETRY_MAX_S ? CACHE_OFFLINE_RETRY_MAX_S
					       : cap;
}

void cache_note_result(struct cache *c, int rc, const struct api_result *res)
{
	if (rc == -ECANCELED)
		return; /* an unmount, not an answer */
	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		c->offline_since = 0;
		c->retry_gap = 0;
		c->retry_at = 0;
	} else {
		if (cache_is_network_error(rc) && c->offline_since == 0)
			c->offline_since = cache_wall(c);
		if (unreachable(rc, res)) {
			c->retry_gap = c->retry_gap > 0 ? c->retry_gap * 2 : 1.0;
			if (c->retry_gap > retry_cap(c))
				c->retry_gap = retry_cap(c);
			c->retry_at = cache_mono(c) + c->retry_gap;
		}
		if (res && res->status)
			snprintf(c->last_error, sizeof(c->last_error),
				 "HTTP %ld, errorCode %d, refId %s: %s",
				 res->status, res->error_code,
				 res->ref_id[0] ? res->ref_id : "-",
				 res->message);
		else if (res && res->message[0])
			snprintf(c->last_error, sizeof(c->last_error), "%s",
				 res->message);
		else
			snprintf(c->last_error, sizeof(c->last_error), "%s",
				 strerror(-rc));
		c->last_error_at = cache_wall(c);
	}
	pthread_mutex_unlock(&c->lock);
}

bool cache_may_try(struct cache *c)
{
	bool ok;

	pthread_mutex_lock(&c->lock);
	ok = c->retry_at == 0 || cache_mono(c) >= c->retry_at;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

int cache_set_user(struct cache *c, const char *label)
{
	char *copy = strdup(label);

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&c->lock);
	free(c->user);
	c->user = copy;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void cache_refresh_user(struct cache *c)
{
	struct model_user u = {0};
	struct api_result res;
	char *label;

	memset(&res, 0, sizeof(res));
	if (c->src.ops->get_user(c->src.ctx, &u, &res) != 0)
		return;
	label = model_user_label(&u);
	model_user_release(&u);
	if (label && cache_set_user(c, label))
		log_warn("out of memory for the status file's user");
	free(label);
}

int cache_user_text(struct cache *c, struct sbuf *out)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = sbuf_addstr(out, c->user ? c->user : "(unknown)");
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int cache_status(struct cache *c, struct sbuf *out)
{
	char when[64];
	time_t t;
	struct tm tm;
	size_t n, nr;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->offline_since != 0) {
		t = (time_t)c->offline_since;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc = sbuf_addf(out, "network: offline since %s\n", when);
	} else {
		rc = sbuf_addstr(out, "network: online\n");
	}
	if (!rc && c->last_error_at != 0) {
		t = (time_t)c->last_error_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc = sbuf_addf(out, "last error: %s (at %s)\n", c->last_error,
			       when);
	} else if (!rc) {
		rc = sbuf_addstr(out, "last error: none\n");
	}
	pthread_mutex_unlock(&c->lock);
	cache_refused_count(c, &n, &nr);
	if (!rc && (n || nr))
		rc = sbuf_addf(out,
			       "refused: %zu sheet%s, %zu report%s (no access: "
			       "left out of listings until modified)\n",
			       n, n == 1 ? "" : "s", nr, nr == 1 ? "" : "s");
	if (!rc && c->journal && c->src.ops->write_rows) {
		/* -o write: whether this credential may write (SPEC §8). */
		char why[256] = "";

		if (c->src.ops->may_write &&
		    !c->src.ops->may_write(c->src.ctx, why, sizeof(why)))
			rc = sbuf_addf(out, "write-back: refused: %s\n",
				       why[0] ? why
					      : "the credential may not write");
		else
			rc = sbuf_addstr(out, "write-back: on\n");
	}
	return rc;
}
