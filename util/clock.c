/*
 * The monotonic and wall clocks in ms and in seconds (util/clock.h), one
 * copy for every layer. clock_gettime() cannot fail for these two clocks
 * on Linux, so there is no error to report. No state: any thread.
 */
#include "util/clock.h"

#include <time.h>

static struct timespec now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts;
}

static int64_t to_ms(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double to_s(struct timespec ts)
{
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t clock_mono_ms(void)
{
	return to_ms(now(CLOCK_MONOTONIC));
}

int64_t clock_wall_ms(void)
{
	return to_ms(now(CLOCK_REALTIME));
}

double clock_mono_s(void)
{
	return to_s(now(CLOCK_MONOTONIC));
}

double clock_wall_s(void)
{
	return to_s(now(CLOCK_REALTIME));
}
