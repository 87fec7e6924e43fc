/*
 * http/window.c: the sliding window and its three priorities, driven with
 * a fake clock, and a simulation of greedy takers against the limit.
 */
#include "http/window.h"

#include "tests/unit/testlib.h"

/* ---- the sliding window with a fake clock ---- */

static void test_http_window_fills_then_slides(void)
{
	struct http_window w;
	int i;

	CHECK_INT(http_window_init(&w, 300, 60000, 0), 0);
	/* Smartsheet allows the whole minute's budget at once. */
	for (i = 0; i < 300; i++)
		CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1000), 0);
	CHECK_INT(http_window_used(&w, 1000), 300);
	/* The next one waits until the first leaves the window. */
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1000), 60000);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 60999), 1);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 61000), 0);
	CHECK_INT(http_window_used(&w, 61000), 1);
	http_window_release(&w);
}

static void test_http_window_priorities(void)
{
	struct http_window w;
	int i, n;

	CHECK_INT(http_window_init(&w, 100, 60000, 60000), 0);
	CHECK_INT(http_window_allowed(&w, HTTP_PRIO_USER), 100);
	CHECK_INT(http_window_allowed(&w, HTTP_PRIO_AHEAD), 75);
	CHECK_INT(http_window_allowed(&w, HTTP_PRIO_BACKGROUND), 50);
	/* Background: half the window, at its pace (here 1/ms). */
	for (n = 0, i = 0; i < 200; i++)
		if (http_window_take(&w, HTTP_PRIO_BACKGROUND, i) == 0)
			n++;
	CHECK_INT(n, 50);
	/* Read-ahead fills up to three quarters... */
	for (n = 0; http_window_take(&w, HTTP_PRIO_AHEAD, 200) == 0; n++)
		;
	CHECK_INT(n, 25);
	/* ... and a user still has a quarter of the budget. */
	for (n = 0; http_window_take(&w, HTTP_PRIO_USER, 200) == 0; n++)
		;
	CHECK_INT(n, 25);
	/* Background waits until the window is back under half: until
	 * the requests sent at 200 leave it. */
	CHECK_INT(http_window_take(&w, HTTP_PRIO_BACKGROUND, 200), 60000);
	http_window_release(&w);
}

static void test_http_window_background_pace(void)
{
	struct http_window w;
	int64_t now = 0, last = -1;
	int grants = 0, gaps_ok = 0;
	long t;

	/* 120 a minute: one every 500 ms, never two at once. */
	CHECK_INT(http_window_init(&w, 290, 61000, 120), 0);
	while (grants < 41) {
		t = http_window_take(&w, HTTP_PRIO_BACKGROUND, now);
		if (t) {
			CHECK(t > 0);
			now += t;
			continue;
		}
		if (last >= 0 && now - last == 500)
			gaps_ok++;
		last = now;
		grants++;
	}
	CHECK_INT(gaps_ok, 40);
	/* Users are not paced. */
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, now), 0);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, now), 0);
	/* No pace: no background request at all. */
	http_window_set_background(&w, 0);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_BACKGROUND, now + 99999), -1);
	http_window_release(&w);
}

/* The warm-up waits for room at its pace, then sends at AHEAD: the room
 * takes no slot but uses the pace up; share and hold apply to it too. */
static void test_http_window_room_takes_no_slot(void)
{
	struct http_window w;
	int i;

	CHECK_INT(http_window_init(&w, 8, 60000, 600), 0);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_BACKGROUND, 0), 0);
	CHECK_INT(http_window_used(&w, 0), 0);
	/* The pace is used up: the next room is 100 ms later. */
	CHECK_INT(http_window_room(&w, HTTP_PRIO_BACKGROUND, 0), 100);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_AHEAD, 0), 0);
	CHECK_INT(http_window_used(&w, 0), 1);
	/* Half the window full: no room for the warm-up, whatever the pace;
	 * AHEAD (three quarters) and USER still have some. */
	for (i = 0; i < 3; i++)
		CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1), 0);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_BACKGROUND, 500), 59500);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_AHEAD, 500), 0);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_USER, 500), 0);
	CHECK_INT(http_window_used(&w, 500), 4);
	/* A hold after a 429 holds the room too. */
	http_window_hold(&w, 2000);
	CHECK_INT(http_window_room(&w, HTTP_PRIO_USER, 1000), 1000);
	http_window_release(&w);
}

static void test_http_window_unlimited_and_hold(void)
{
	struct http_window w;
	int i;

	CHECK_INT(http_window_init(&w, 0, 60000, 0), 0);
	for (i = 0; i < 100000; i++)
		if (http_window_take(&w, HTTP_PRIO_USER, 0) != 0)
			break;
	CHECK_INT(i, 100000);
	/* After a 429 nobody sends until the hold ends. */
	http_window_hold(&w, 5000);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 1000), 4000);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_AHEAD, 4999), 1);
	CHECK_INT(http_window_take(&w, HTTP_PRIO_USER, 5000), 0);
	http_window_release(&w);
}

#define SIM_MAX_GRANTS 4096
#define SIM_TAKERS 8
#define SIM_DURATION_MS (5 * 60000)

struct sim {
	int64_t grant[SIM_MAX_GRANTS];
	enum http_priority prio[SIM_MAX_GRANTS];
	int n;
};

/* Greedy takers of mixed priorities sharing one window for five simulated
 * minutes. work_ms is how long a taker is busy after a grant. */
static void simulate(struct sim *s, int limit, int bg_per_min, int work_ms)
{
	struct http_window w;
	int64_t next[SIM_TAKERS] = {0};
	int64_t now;
	int i, k;
	long t;

	s->n = 0;
	if (http_window_init(&w, limit, 61000, bg_per_min))
		return;
	for (;;) {
		enum http_priority p;

		k = 0;
		for (i = 1; i < SIM_TAKERS; i++)
			if (next[i] < next[k])
				k = i;
		now = next[k];
		if (now >= SIM_DURATION_MS || s->n == SIM_MAX_GRANTS)
			break;
		p = (enum http_priority)(k % 3);
		t = http_window_take(&w, p, now);
		if (t) {
			next[k] = now + (t > 0 ? t : 1000);
			continue;
		}
		s->prio[s->n] = p;
		s->grant[s->n++] = now;
		next[k] = now + (work_ms ? (k * 7 + s->n) % work_ms : 0);
	}
	http_window_release(&w);
}

/* The most grants (of priority p, or any when p < 0) in any 60 s window
 * [t, t + 60000) starting at a grant. */
static int max_window(const struct sim *s, int p)
{
	int i, j = 0, best = 0, in = 0;

	for (i = 0; i < s->n; i++) {
		while (j < s->n && s->grant[j] < s->grant[i] + 60000) {
			if (p < 0 || (int)s->prio[j] == p)
				in++;
			j++;
		}
		if (in > best)
			best = in;
		if (p < 0 || (int)s->prio[i] == p)
			in--;
	}
	return best;
}

static void test_http_window_never_exceeds_the_limit(void)
{
	static struct sim s;

	simulate(&s, 290, 100, 0);
	CHECK(max_window(&s, -1) <= 290);
	/* The budget is used: about 290 per 61 s over five minutes. */
	CHECK(s.n >= 290 * 300 / 61 - 1);
	CHECK(max_window(&s, HTTP_PRIO_BACKGROUND) <= 100);

	simulate(&s, 300, 150, 13);
	CHECK(max_window(&s, -1) <= 300);
	CHECK(max_window(&s, HTTP_PRIO_BACKGROUND) <= 150);
	CHECK(s.n >= 300 * 300 / 61 - 1);
}

int main(void)
{
	T(test_http_window_fills_then_slides);
	T(test_http_window_priorities);
	T(test_http_window_background_pace);
	T(test_http_window_room_takes_no_slot);
	T(test_http_window_unlimited_and_hold);
	T(test_http_window_never_exceeds_the_limit);
	return t_run();
}
