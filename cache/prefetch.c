#include "cache/prefetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/source.h"
#include "util/log.h"

/* Sheets waiting for read-ahead or for a refetch after a change. */
#define QUEUE_SLOTS 64
/* The warm-up is paced by the request window; two threads are enough to
 * keep that pace while a big sheet downloads, the rest serve read-ahead. */
#define WARMUP_THREADS_MAX 2

struct prefetch {
	struct cache *cache;
	struct cache_source src;
	struct prefetch_opts o;
	pthread_t *threads;
	int nthreads;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock */
	bool stop;
	struct cache_ref queue[QUEUE_SLOTS]; /* FIFO */
	int qhead, qlen;
	struct cache_listing *listing; /* the sheets the warm-up walks... */
	struct cache_listing *reports; /* ... then the reports */
	bool listing_new;	       /* take the lists held now */
	bool need_list;		       /* read the lists first (at start) */
	size_t cursor; /* the warm-up's place: sheets, then reports */
	int warming;		       /* threads on warm-up items */
	bool paused;		       /* stopped: the disk cache is full */
	bool said_full;		       /* ... and the log said so once */
	/* read-ahead: the reader's place (a folder and an index in it) */
	enum cache_dir last_dir;
	int64_t last_dir_id;
	long last_index, ahead_hi;
	/* sizes=exact: a folder's sheets, fetched at readers' priority */
	const struct cache_listing *batch; /* borrowed; NULL: none */
	size_t batch_next;		   /* next item to hand out */
	int batch_busy;			   /* workers on batch items */
	unsigned long batch_gen;	   /* + 1 when a batch ends */
	/* for the status file */
	unsigned long done, done_reports, failed, ahead_done;
	time_t pass_started, pass_ended;
};

static bool queued(const struct prefetch *p, int64_t id)
{
	int i;

	for (i = 0; i < p->qlen; i++)
		if (p->queue[(p->qhead + i) % QUEUE_SLOTS].id == id)
			return true;
	return false;
}

/* Caller holds p->lock. A full queue drops the request: read-ahead is a
 * hint, and a stale sheet is found again by the next getattr. */
static void enqueue(struct prefetch *p, const struct cache_ref *ref)
{
	if (p->qlen == QUEUE_SLOTS || queued(p, ref->id))
		return;
	p->queue[(p->qhead + p->qlen) % QUEUE_SLOTS] = *ref;
	p->qlen++;
	pthread_cond_signal(&p->cond);
}

static bool is_file(const struct cache_item *it)
{
	return it->kind == MODEL_KIND_SHEET || it->kind == MODEL_KIND_REPORT;
}

static struct cache_ref ref_of(const struct cache_item *it)
{
	struct cache_ref r = {it->id, it->kind == MODEL_KIND_REPORT,
			      it->mtime_s};

	return r;
}

static size_t count_of(const struct cache_listing *l)
{
	return l ? l->count : 0;
}

/* The warm-up's item at cursor: the sheets, then the reports. */
static const struct cache_item *walk_item(const struct prefetch *p,
					  size_t cursor)
{
	size_t ns = count_of(p->listing);

	if (cursor < ns)
		return &p->listing->items[cursor];
	if (cursor - ns < count_of(p->reports))
		return &p->reports->items[cursor - ns];
	return NULL;
}

static size_t walk_count(const struct prefetch *p)
{
	return count_of(p->listing) + count_of(p->reports);
}

/* One job for a worker. Caller holds p->lock; it may be dropped while the
 * list is read. False when there is nothing to do. */
static bool next_job(struct prefetch *p, struct cache_ref *ref,
		     enum api_prio *prio)
{
	struct cache_listing *l;

	if (p->need_list) {
		/* The warm-up starts with the lists; installing them calls
		 * prefetch_listing_changed. */
		p->need_list = false;
		pthread_mutex_unlock(&p->lock);
		/* AHEAD: cancellable at unmount, and never paced, since a
		 * reader may be waiting for the same list. */
		l = NULL;
		if (cache_get_listing(p->cache, API_PRIO_AHEAD, &l) == 0)
			cache_put_listing(p->cache, l);
		l = NULL;
		if (cache_get_dir(p->cache, CACHE_DIR_REPORTS, 0,
				  API_PRIO_AHEAD, &l) == 0)
			cache_put_listing(p->cache, l);
		pthread_mutex_lock(&p->lock);
	}
	if (p->listing_new) {
		p->listing_new = false;
		l = cache_listing_now(p->cache);
		if (p->listing)
			cache_put_listing(p->cache, p->listing);
		p->listing = l;
		l = cache_reports_now(p->cache);
		if (p->reports)
			cache_put_listing(p->cache, p->reports);
		p->reports = l;
		p->cursor = 0;
		p->pass_started = time(NULL);
		p->pass_ended = 0;
		p->paused = false;
	}
	while (p->batch && p->batch_next < p->batch->count) {
		const struct cache_item *it = &p->batch->items[p->batch_next++];

		if (!is_file(it))
			continue;
		*ref = ref_of(it);
		*prio = API_PRIO_USER;
		p->batch_busy++;
		return true;
	}
	/* The batch's last items were folders: no job ends to wake its
	 * reader (a folder of workspaces has no file at all). */
	if (p->batch && p->batch_busy == 0)
		pthread_cond_broadcast(&p->cond);
	if (p->qlen) {
		*ref = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % QUEUE_SLOTS;
		p->qlen--;
		*prio = API_PRIO_AHEAD;
		return true;
	}
	if (p->o.per_min > 0 && p->listing && !p->paused &&
	    p->cursor < walk_count(p) && cache_disk_nearly_full(p->cache)) {
		/* Going on would evict what readers use, then fetch it again
		 * next pass: stop until the next list. */
		p->paused = true;
		if (!p->said_full)
			log_info("warm-up paused at %zu of %zu files: the "
				 "disk cache is nearly full (cache_max=)",
				 p->cursor, walk_count(p));
		p->said_full = true;
	}
	if (p->o.per_min > 0 && p->listing && p->warming < WARMUP_THREADS_MAX &&
	    !p->paused && p->cursor < walk_count(p)) {
		const struct cache_item *it = walk_item(p, p->cursor++);

		if (it) {
			*ref = ref_of(it);
			*prio = API_PRIO_BACKGROUND;
			return true;
		}
	}
	if (p->listing && p->cursor == walk_count(p) && !p->pass_ended &&
	    !p->warming)
		p->pass_ended = time(NULL);
	return false;
}

static void *worker_main(void *arg)
{
	struct prefetch *p = arg;
	enum api_prio prio;
	struct cache_ref ref;
	int rc;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if (!next_job(p, &ref, &prio)) {
			if (!p->stop && !p->listing_new && !p->need_list)
				pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		if (prio == API_PRIO_BACKGROUND)
			p->warming++;
		pthread_mutex_unlock(&p->lock);

		/*
		 * Wait for room at this job's priority (the warm-up's pace)
		 * before cache_prefetch marks the sheet busy; its requests
		 * then go at AHEAD, never paced, so that a reader waiting for
		 * the sheet never waits on the warm-up's pace, not even for a
		 * retry or the GET after a token refresh.
		 */
		if (cache_held(p->cache, &ref))
			rc = 0;
		else if (prio == API_PRIO_USER)
			/* A reader waits for the batch: at its priority,
			 * and after whoever fetches the sheet already. */
			rc = cache_prefetch(p->cache, &ref, API_PRIO_USER,
					    true);
		else if ((rc = p->src.ops->wait_room(p->src.ctx, prio)) == 0)
			rc = cache_prefetch(p->cache, &ref, API_PRIO_AHEAD,
					    false);
		if (rc && rc != -ECANCELED)
			log_debug("prefetch of %s %lld: %s",
				  ref.report ? "report" : "sheet",
				  (long long)ref.id, strerror(-rc));

		pthread_mutex_lock(&p->lock);
		if (prio == API_PRIO_BACKGROUND) {
			p->warming--;
			/* Another thread may now take a warm-up item. */
			pthread_cond_signal(&p->cond);
		} else if (prio == API_PRIO_USER) {
			p->batch_busy--;
			/* The reader waiting for the batch checks. */
			pthread_cond_broadcast(&p->cond);
		} else {
			p->ahead_done++;
		}
		if (rc == 0)
			++*(ref.report ? &p->done_reports : &p->done);
		else if (rc != -ECANCELED)
			p->failed++;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct prefetch *prefetch_new(struct cache *c, const struct cache_source *src,
			      const struct prefetch_opts *o)
{
	struct prefetch *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cache = c;
	p->src = *src;
	p->o = *o;
	if (p->o.workers < 1)
		p->o.workers = 1;
	p->last_index = -2;
	p->ahead_hi = -1;
	p->need_list = o->per_min > 0;
	p->threads = calloc((size_t)p->o.workers, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	return p;
}

int prefetch_start(struct prefetch *p)
{
	int i;

	p->src.ops->set_background_rate(p->src.ctx, p->o.per_min);
	p->src.ops->cancel_speculative(p->src.ctx, false);
	for (i = 0; i < p->o.workers; i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
			break;
		p->nthreads++;
	}
	return p->nthreads ? 0 : -EAGAIN;
}

void prefetch_stop(struct prefetch *p)
{
	int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	/* Requests waiting for the window or downloading give up now. */
	p->src.ops->cancel_speculative(p->src.ctx, true);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	cache_put_listing(p->cache, p->listing);
	cache_put_listing(p->cache, p->reports);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

static bool batch_done(const struct prefetch *p,
		       const struct cache_listing *l)
{
	return p->batch == l && p->batch_next >= l->count &&
	       p->batch_busy == 0;
}

int prefetch_exact(struct prefetch *p, const struct cache_listing *l)
{
	unsigned long gen;
	int rc = 0;
	size_t i;

	if (!p || !l)
		return 0;
	for (i = 0; i < l->count && !is_file(&l->items[i]); i++)
		;
	if (i == l->count)
		return 0; /* only folders: nothing to fetch */
	pthread_mutex_lock(&p->lock);
	/* One batch at a time; a second reader of the same folder joins. */
	while (!p->stop && p->batch && p->batch != l)
		pthread_cond_wait(&p->cond, &p->lock);
	if (!p->stop && !p->batch) {
		p->batch = l;
		p->batch_next = 0;
		pthread_cond_broadcast(&p->cond);
	}
	gen = p->batch_gen;
	while (!p->stop && p->batch_gen == gen && !batch_done(p, l))
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->batch_gen == gen && batch_done(p, l)) {
		p->batch = NULL;
		p->batch_gen++;
		pthread_cond_broadcast(&p->cond);
	}
	if (p->stop)
		rc = -ECANCELED;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void prefetch_listing_changed(struct prefetch *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->listing_new = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/*
 * A reader opened the file of entry k of folder l. When it is the entry at
 * or right after the previous open's place in the same folder (grep -r,
 * cat *, rsync walk a folder in that order), the next `ahead` files of the
 * folder are queued; a random open queues nothing.
 */
void prefetch_opened(struct prefetch *p, const struct cache_listing *l,
		     size_t index)
{
	long k = (long)index, from, to;

	if (!p || !l || p->o.ahead <= 0 || index >= l->count)
		return;
	pthread_mutex_lock(&p->lock);
	if (l->dir != p->last_dir || l->dir_id != p->last_dir_id) {
		p->last_dir = l->dir;
		p->last_dir_id = l->dir_id;
		p->last_index = -2;
		p->ahead_hi = -1;
	}
	if (k == p->last_index || k == p->last_index + 1) {
		from = k + 1 > p->ahead_hi + 1 ? k + 1 : p->ahead_hi + 1;
		to = k + p->o.ahead;
		if (to >= (long)l->count)
			to = (long)l->count - 1;
		for (; from <= to; from++) {
			struct cache_ref r = ref_of(&l->items[from]);

			if (is_file(&l->items[from]))
				enqueue(p, &r);
		}
		if (to > p->ahead_hi)
			p->ahead_hi = to;
	} else {
		p->ahead_hi = k;
	}
	p->last_index = k;
	pthread_mutex_unlock(&p->lock);
}

void prefetch_soon(struct prefetch *p, const struct cache_ref *ref)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	enqueue(p, ref);
	pthread_mutex_unlock(&p->lock);
}

int prefetch_status(struct prefetch *p, struct sbuf *out)
{
	char when[32] = "";
	struct tm tm;
	int rc, n;

	if (!p)
		return sbuf_addstr(out, "warm-up: off\n");
	pthread_mutex_lock(&p->lock);
	if (p->pass_ended) {
		gmtime_r(&p->pass_ended, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (p->o.per_min <= 0)
		rc = sbuf_addstr(out, "warm-up: off");
	else if (!p->listing)
		rc = sbuf_addstr(out, "warm-up: waiting for the sheet list");
	else if (p->paused)
		rc = sbuf_addf(out,
			       "warm-up: paused at %zu of %zu files (the disk "
			       "cache is nearly full: raise cache_max=)",
			       p->cursor, walk_count(p));
	else if (p->pass_ended)
		rc = sbuf_addf(out,
			       "warm-up: all %zu sheets and %zu reports done "
			       "at %s",
			       count_of(p->listing), count_of(p->reports),
			       when);
	else
		rc = sbuf_addf(out, "warm-up: %zu of %zu sheets and reports",
			       p->cursor, walk_count(p));
	if (!rc)
		rc = sbuf_addf(out,
			       " (%d/min); held %lu sheets, %lu reports; %lu "
			       "failed; read-ahead %d files, %lu done\n",
			       p->o.per_min, p->done, p->done_reports,
			       p->failed, p->o.ahead, p->ahead_done);
	pthread_mutex_unlock(&p->lock);
	n = p->src.ops->window_count(p->src.ctx);
	if (!rc && n >= 0)
		rc = sbuf_addf(out, "requests in the last minute: %d\n", n);
	return rc;
}
