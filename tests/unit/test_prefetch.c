/*
 * The prefetcher (warm-up and read-ahead) against a fake source: every
 * sheet not held is fetched once, each after waiting for room at its own
 * priority and then fetched at AHEAD (never paced while a reader may wait
 * for it); a reader going in order gets the next sheets fetched; a stop
 * cancels what waits and joins every thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/prefetch.h"
#include "testlib.h"
#include "fake_source.h"
#include "util/sbuf.h"

static struct cache *new_cache(struct fake *f)
{
	struct cache_opts o;

	memset(&o, 0, sizeof(o));
	o.ttl_s = 3600;
	return cache_new(&f->src, &o);
}

static void hook_listing(void *ctx)
{
	prefetch_listing_changed(ctx);
}

static void hook_stale(void *ctx, const struct cache_ref *ref)
{
	prefetch_soon(ctx, ref);
}

/* As cmd/mount.c wires them: the cache's hooks reach the prefetcher. */
static struct prefetch *new_prefetch(struct cache *c, struct fake *f,
				     const struct prefetch_opts *po)
{
	struct prefetch *p = prefetch_new(c, &f->src, po);
	struct cache_hooks h = {
	    .listing_changed = hook_listing,
	    .stale = hook_stale,
	    .ctx = p,
	};

	if (p)
		cache_set_hooks(c, &h);
	return p;
}

static int n_wanted;

static bool gets_reached(const struct fake *f)
{
	return f->get_calls >= n_wanted;
}

static void test_prefetch_warmup_fetches_each_sheet_once(void)
{
	struct prefetch_opts po = {.workers = 4, .per_min = 60, .ahead = 0};
	struct cache_listing *l = NULL;
	struct sbuf st = SBUF_INIT(4096);
	struct prefetch *p;
	struct fake f;
	struct cache *c;
	size_t i;

	fake_init(&f, 6);
	c = new_cache(&f);
	p = new_prefetch(c, &f, &po);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(prefetch_start(p), 0);
	CHECK_INT(f.bg_rate, 60);
	n_wanted = 6;
	CHECK(fake_wait(&f, gets_reached));
	usleep(50 * 1000); /* nothing more comes */
	CHECK_INT(f.get_calls, 6);
	/* Room waited for at the warm-up's priority, fetched at AHEAD. */
	CHECK_INT(f.gets_by_prio[API_PRIO_AHEAD], 6);
	CHECK(f.room_calls >= 6);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	for (i = 0; l && i < l->count; i++)
		CHECK(cache_held(c, &(struct cache_ref){l->items[i].id, false,
							l->items[i].mtime_s}));
	cache_put_listing(c, l);
	CHECK_INT(prefetch_status(p, &st), 0);
	CHECK(strstr(st.buf, "warm-up: all 6 sheets and 0 reports done") !=
	      NULL);
	prefetch_stop(p);
	CHECK(f.cancelled);
	sbuf_release(&st);
	cache_free(c);
	fake_release(&f);
}

static void test_prefetch_readahead_follows_a_reader(void)
{
	struct prefetch_opts po = {.workers = 2, .per_min = 0, .ahead = 2};
	struct cache_listing *l = NULL;
	struct prefetch *p;
	struct fake f;
	struct cache *c;

	fake_init(&f, 8);
	c = new_cache(&f);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	if (!l)
		return;
	p = new_prefetch(c, &f, &po);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(prefetch_start(p), 0);
	/* A random open queues nothing (the listing is sorted by name:
	 * "Sheet 1".."Sheet 8" are ids 101..108 in order). */
	prefetch_opened(p, l, 4);
	usleep(100 * 1000);
	CHECK_INT(f.get_calls, 0);
	/* In order: the next two. */
	prefetch_opened(p, l, 0);
	prefetch_opened(p, l, 1);
	n_wanted = 2;
	CHECK(fake_wait(&f, gets_reached));
	usleep(50 * 1000);
	CHECK_INT(f.get_calls, 2);
	CHECK(cache_held(c, FAKE_REF(&f, 2)));
	CHECK(cache_held(c, FAKE_REF(&f, 3)));
	/* A stale sheet is fetched soon. */
	prefetch_soon(p, FAKE_REF(&f, 7));
	n_wanted = 3;
	CHECK(fake_wait(&f, gets_reached));
	CHECK_INT(f.last_get_id, 108);
	prefetch_stop(p);
	cache_put_listing(c, l);
	cache_free(c);
	fake_release(&f);
}

static bool someone_waits(const struct fake *f)
{
	return f->room_calls >= 1;
}

/* Unmount in the middle of a warm-up that waits for room: the stop
 * cancels the wait and joins every thread at once. */
static void test_prefetch_stop_cancels_what_waits(void)
{
	struct prefetch_opts po = {.workers = 4, .per_min = 1, .ahead = 8};
	struct timespec t0, t1;
	struct prefetch *p;
	struct fake f;
	struct cache *c;

	fake_init(&f, 4);
	f.hold_room = true;
	c = new_cache(&f);
	p = new_prefetch(c, &f, &po);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(prefetch_start(p), 0);
	CHECK(fake_wait(&f, someone_waits));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	prefetch_stop(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 2);
	CHECK_INT(f.get_calls, 0);
	cache_free(c);
	fake_release(&f);
}

struct exact_call {
	struct prefetch *p;
	const struct cache_listing *l;
	int rc;
	bool done; /* under f->mu */
	struct fake *f;
};

static void *call_exact(void *arg)
{
	struct exact_call *x = arg;

	x->rc = prefetch_exact(x->p, x->l);
	pthread_mutex_lock(&x->f->mu);
	x->done = true;
	pthread_cond_broadcast(&x->f->cv);
	pthread_mutex_unlock(&x->f->mu);
	return NULL;
}

static bool exact_returns(struct fake *f, struct exact_call *x)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	pthread_mutex_lock(&f->mu);
	while (!x->done &&
	       pthread_cond_timedwait(&f->cv, &f->mu, &until) == 0)
		;
	done = x->done;
	pthread_mutex_unlock(&f->mu);
	return done;
}

/* sizes=exact on workspaces/ (folders only) and on a folder whose last
 * entries are folders: the reader is answered, not left waiting for a
 * job that never ends (it hung tar and ls -R). */
static void test_prefetch_exact_of_folders_returns(void)
{
	struct prefetch_opts po = {.workers = 2, .per_min = 0, .ahead = 0};
	static char s1[] = "s1", ws[] = "w", fo[] = "x";
	struct cache_item items[3] = {
	    {.id = 1, .kind = MODEL_KIND_SHEET, .stem = s1},
	    {.id = 7, .kind = MODEL_KIND_WORKSPACE, .stem = ws},
	    {.id = 8, .kind = MODEL_KIND_FOLDER, .stem = fo},
	};
	struct cache_listing only = {.items = items + 1, .count = 2};
	struct cache_listing mixed = {.items = items, .count = 3};
	struct cache_listing *lists[2] = {&only, &mixed};
	struct prefetch *p;
	struct fake f;
	struct cache *c;
	int i;

	fake_init(&f, 1);
	c = new_cache(&f);
	p = new_prefetch(c, &f, &po);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(prefetch_start(p), 0);
	for (i = 0; i < 2; i++) {
		struct exact_call x = {.p = p, .l = lists[i], .f = &f};
		pthread_t t;

		CHECK_INT(pthread_create(&t, NULL, call_exact, &x), 0);
		if (!exact_returns(&f, &x)) {
			/* Hung: nothing can wake it safely. Fail now. */
			CHECK(!"prefetch_exact returned");
			_exit(1);
		}
		pthread_join(t, NULL);
		CHECK_INT(x.rc, 0);
	}
	prefetch_stop(p);
	cache_free(c);
	fake_release(&f);
}

int main(void)
{
	T(test_prefetch_warmup_fetches_each_sheet_once);
	T(test_prefetch_readahead_follows_a_reader);
	T(test_prefetch_stop_cancels_what_waits);
	T(test_prefetch_exact_of_folders_returns);
	return t_run();
}
