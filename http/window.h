#ifndef SSFS_HTTP_WINDOW_H
#define SSFS_HTTP_WINDOW_H

#include <stdint.h>

#include "http/http.h"
#include "util/compat.h"

/*
 * The request budget as a sliding window of send times, with the three
 * priorities of enum http_priority sharing it (http/window.c says how).
 * Plain data under the caller's lock: struct http keeps one under its
 * mutex; the unit tests drive one with a fake clock. Times are milliseconds
 * on clock_mono_ms()'s clock (util/clock.h).
 */

/*
 * Invariants: sent holds `limit` slots (NULL when limit is 0: no limit);
 * the `count` send times still inside the window are at sent[head],
 * sent[head + 1], ... (mod limit), oldest first.
 */
struct http_window {
	int64_t *sent; /* ring of send times in the window, oldest first */
	int limit;     /* slots; 0: unlimited */
	int head, count;
	int64_t span_ms;
	int64_t bg_gap_ms; /* -1: no background requests */
	int64_t bg_last_ms;
	int64_t hold_until_ms; /* after a 429, nobody sends before this */
};

/* limit requests in any span_ms (limit <= 0: no limit; span_ms <= 0:
 * 60000), BACKGROUND paced at bg_per_min. 0 or -ENOMEM. */
int http_window_init(struct http_window *w, int limit, long span_ms,
		     int bg_per_min) SSFS_WUR;
/* Frees the ring; a second call does nothing. */
void http_window_release(struct http_window *w);
/* The BACKGROUND pace (0: no background requests). */
void http_window_set_background(struct http_window *w, int per_min);
/* The slots of the window priority p may fill. */
int http_window_allowed(const struct http_window *w, enum http_priority p);
/*
 * 0 when a request of priority p may go at now_ms (and it is recorded), the
 * number of milliseconds to wait before asking again, or -1 when the
 * priority may not send at all (BACKGROUND with no pace).
 */
long http_window_take(struct http_window *w, enum http_priority p,
		      int64_t now_ms);
/* As take, but records no slot: only the background pace is stamped. */
long http_window_room(struct http_window *w, enum http_priority p,
		      int64_t now_ms);
/* Nobody sends before until_ms (after a 429); a hold is never shortened. */
void http_window_hold(struct http_window *w, int64_t until_ms);
/* The requests inside the window at now_ms. */
int http_window_used(struct http_window *w, int64_t now_ms);


#endif /* SSFS_HTTP_WINDOW_H */
