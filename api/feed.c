/*
 * The sheet parser fed on a thread of its own, so that a big sheet costs
 * about the longer of the transfer (with libcurl's inflate, on the
 * caller's thread) and the parse, not their sum. The transfer's thread (a
 * FUSE or prefetch worker, the main thread) writes, resets and finishes;
 * the feed's own thread only parses.
 */
#include "api/feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api/sheet_parser.h"

/*
 * The body is gathered in FEED_CHUNK pieces; a small sheet (one piece or
 * less) is parsed on the caller's thread at the end and never starts the
 * thread. At most FEED_SLOTS pieces wait for the parser: a parser slower
 * than the network holds the transfer back instead of buffering the body.
 */
#define FEED_CHUNK ((size_t)256 << 10)
#define FEED_SLOTS 8

struct feed {
	struct sheet_parser *p;
	char *fill; /* the piece being filled (caller's thread only) */
	size_t fill_len;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* protected by lock */
	char *slot[FEED_SLOTS]; /* FIFO of full pieces */
	size_t slot_len[FEED_SLOTS];
	int head, count;
	bool busy; /* the parser is working on a piece */
	bool quit;
	int err;   /* the parser's first error (sticky until reset) */
	char *spare[FEED_SLOTS]; /* pieces to reuse */
	int nspare;
};

static void *parse_thread(void *arg)
{
	struct feed *f = arg;
	char *piece;
	size_t n;
	int rc;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->count && !f->quit)
			pthread_cond_wait(&f->cond, &f->lock);
		if (!f->count)
			break; /* quit with nothing left */
		piece = f->slot[f->head];
		n = f->slot_len[f->head];
		f->head = (f->head + 1) % FEED_SLOTS;
		f->count--;
		f->busy = true;
		pthread_mutex_unlock(&f->lock);

		/* After an error the rest is drained unparsed. */
		rc = f->err ? 0 : sheet_parser_feed(f->p, piece, n);

		pthread_mutex_lock(&f->lock);
		if (rc && !f->err)
			f->err = rc;
		f->busy = false;
		if (f->nspare < FEED_SLOTS)
			f->spare[f->nspare++] = piece;
		else
			free(piece);
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct feed *feed_new(struct sheet_parser *p)
{
	struct feed *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->p = p;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	return f;
}

/* Wait until the parser thread has taken and parsed every piece. Caller
 * holds f->lock. */
static void drain_locked(struct feed *f)
{
	while (f->count || f->busy)
		pthread_cond_wait(&f->cond, &f->lock);
}

void feed_free(struct feed *f)
{
	int i;

	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		f->quit = true;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	for (i = 0; i < f->count; i++)
		free(f->slot[(f->head + i) % FEED_SLOTS]);
	for (i = 0; i < f->nspare; i++)
		free(f->spare[i]);
	free(f->fill);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Hand the full piece to the parser thread (started on first use). */
static int hand_over(struct feed *f)
{
	char *next = NULL;
	int rc;

	if (!f->started) {
		if (pthread_create(&f->thread, NULL, parse_thread, f) != 0) {
			/* No thread: parse here, as without a feed. */
			rc = sheet_parser_feed(f->p, f->fill, f->fill_len);
			f->fill_len = 0;
			return rc;
		}
		f->started = true;
	}
	pthread_mutex_lock(&f->lock);
	while (f->count == FEED_SLOTS && !f->err)
		pthread_cond_wait(&f->cond, &f->lock);
	rc = f->err;
	if (!rc) {
		f->slot[(f->head + f->count) % FEED_SLOTS] = f->fill;
		f->slot_len[(f->head + f->count) % FEED_SLOTS] = f->fill_len;
		f->count++;
		f->fill = NULL;
		f->fill_len = 0;
		if (f->nspare)
			next = f->spare[--f->nspare];
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	f->fill = f->fill ? f->fill : next;
	return rc;
}

int feed_write(struct feed *f, const char *data, size_t n)
{
	size_t k;
	int rc;

	while (n) {
		if (!f->fill) {
			f->fill = malloc(FEED_CHUNK);
			if (!f->fill)
				return -ENOMEM;
			f->fill_len = 0;
		}
		k = FEED_CHUNK - f->fill_len;
		if (k > n)
			k = n;
		memcpy(f->fill + f->fill_len, data, k);
		f->fill_len += k;
		data += k;
		n -= k;
		if (f->fill_len == FEED_CHUNK) {
			rc = hand_over(f);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int feed_reset(struct feed *f)
{
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		drain_locked(f);
		f->err = 0;
		pthread_mutex_unlock(&f->lock);
	}
	f->fill_len = 0;
	return sheet_parser_reset(f->p);
}

/* Everything written is parsed: 0 or the parser's first error. */
static int parse_all(struct feed *f)
{
	int rc = 0;

	if (f->started) {
		pthread_mutex_lock(&f->lock);
		drain_locked(f);
		rc = f->err;
		pthread_mutex_unlock(&f->lock);
	}
	/* The last piece (a small sheet's whole body) on this thread. */
	if (!rc && f->fill_len)
		rc = sheet_parser_feed(f->p, f->fill, f->fill_len);
	f->fill_len = 0;
	return rc;
}

int feed_end_page(struct feed *f, int64_t *rows, int64_t *total)
{
	int rc = parse_all(f);

	if (!rc)
		rc = sheet_parser_end_page(f->p);
	if (!rc)
		sheet_parser_count(f->p, rows, total);
	return rc;
}

int feed_finish(struct feed *f, struct model_sheet **out)
{
	int rc = parse_all(f);

	if (!rc)
		rc = sheet_parser_finish(f->p, out);
	return rc;
}
