/*
 * The request budget: a sliding window of send times that three priorities
 * share, and the clock it runs on. Pure data, no lock of its own: struct
 * http calls it under its mutex from any request thread; the unit tests
 * drive it with a fake clock (tests/unit/test_window.c).
 */
#include "http/window.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/*
 * The request budget as Smartsheet counts it: at most `limit` requests in
 * any window of span_ms (a sliding window, not a token bucket: a bucket
 * either forbids the burst the server allows or lets through more than it
 * allows over a minute).
 *
 * The send times of the requests still inside the window are kept oldest
 * first in a ring of `limit` slots, so the count in the window is exact and
 * the wait for a free slot is the moment the right old request leaves it.
 *
 * Three priorities share the window, so that fetching what nobody asked for
 * yet never takes the budget a user needs:
 * - USER may fill the window;
 * - AHEAD (read-ahead for a reader going through the sheets in order) may
 *   fill three quarters of it;
 * - BACKGROUND (the warm-up) may fill half of it, and in addition sends at
 *   most one request every bg_gap_ms, evenly spread, so it never arrives in
 *   a burst just before a user does.
 */

int http_window_init(struct http_window *w, int limit, long span_ms,
		     int bg_per_min)
{
	w->sent = NULL;
	w->limit = limit > 0 ? limit : 0;
	w->span_ms = span_ms > 0 ? span_ms : 60000;
	w->head = 0;
	w->count = 0;
	w->bg_last_ms = INT64_MIN;
	w->hold_until_ms = INT64_MIN;
	http_window_set_background(w, bg_per_min);
	if (!w->limit)
		return 0;
	w->sent = calloc((size_t)w->limit, sizeof(*w->sent));
	return w->sent ? 0 : -ENOMEM;
}

void http_window_release(struct http_window *w)
{
	free(w->sent);
	w->sent = NULL;
	w->limit = 0;
	w->count = 0;
}

void http_window_set_background(struct http_window *w, int per_min)
{
	w->bg_gap_ms = per_min > 0 ? (60000 + per_min - 1) / per_min : -1;
}

/* The i-th oldest send time still held (0 <= i < count). */
static int64_t sent_at(const struct http_window *w, int i)
{
	return w->sent[(w->head + i) % w->limit];
}

static void expire(struct http_window *w, int64_t now)
{
	while (w->count && sent_at(w, 0) <= now - w->span_ms) {
		w->head = (w->head + 1) % w->limit;
		w->count--;
	}
}

int http_window_allowed(const struct http_window *w, enum http_priority p)
{
	switch (p) {
	case HTTP_PRIO_USER:
		return w->limit;
	case HTTP_PRIO_AHEAD:
		return w->limit - w->limit / 4;
	case HTTP_PRIO_BACKGROUND:
		return w->limit / 2;
	}
	return w->limit;
}

static long take(struct http_window *w, enum http_priority p, int64_t now,
		 bool slot)
{
	int allowed;
	int64_t wait = 0, t;

	if (w->hold_until_ms > now)
		wait = w->hold_until_ms - now;
	if (p == HTTP_PRIO_BACKGROUND) {
		if (w->bg_gap_ms < 0)
			return -1; /* no background requests at all */
		if (w->bg_last_ms != INT64_MIN &&
		    (t = w->bg_last_ms + w->bg_gap_ms - now) > wait)
			wait = t;
	}
	if (!w->limit) {
		if (wait)
			return (long)wait;
		goto take;
	}
	expire(w, now);
	allowed = http_window_allowed(w, p);
	if (allowed < 1)
		allowed = 1;
	if (w->count >= allowed) {
		/* Free once all but allowed - 1 of the held ones have left. */
		t = sent_at(w, w->count - allowed) + w->span_ms - now;
		if (t > wait)
			wait = t;
	}
	if (wait)
		return (long)(wait < 1 ? 1 : wait);
	if (slot) {
		w->sent[(w->head + w->count) % w->limit] = now;
		w->count++;
	}
take:
	if (p == HTTP_PRIO_BACKGROUND)
		w->bg_last_ms = now;
	return 0;
}

long http_window_take(struct http_window *w, enum http_priority p, int64_t now)
{
	return take(w, p, now, true);
}

long http_window_room(struct http_window *w, enum http_priority p, int64_t now)
{
	return take(w, p, now, false);
}

void http_window_hold(struct http_window *w, int64_t until_ms)
{
	if (until_ms > w->hold_until_ms)
		w->hold_until_ms = until_ms;
}

int http_window_used(struct http_window *w, int64_t now)
{
	if (w->limit)
		expire(w, now);
	return w->count;
}
