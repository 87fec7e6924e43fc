/* util/clock.c: the monotonic and wall clocks, in ms and in seconds. */
#include "util/clock.h"

#include <time.h>

#include "tests/unit/testlib.h"

static void test_clock_wall_is_unix_time(void)
{
	int64_t before = (int64_t)time(NULL), ms = clock_wall_ms();
	double s = clock_wall_s();
	int64_t after = (int64_t)time(NULL);

	CHECK(ms / 1000 >= before && ms / 1000 <= after);
	CHECK((int64_t)s >= before && (int64_t)s <= after);
	CHECK(s * 1000 - (double)ms >= 0 && s * 1000 - (double)ms < 1000);
}

/* Monotonic time moves forward by at least what was slept, and its two
 * units agree. */
static void test_clock_mono_advances(void)
{
	struct timespec nap = {0, 20 * 1000000L};
	int64_t a = clock_mono_ms(), b;
	double s = clock_mono_s();

	CHECK(s * 1000 - (double)a >= 0 && s * 1000 - (double)a < 1000);
	nanosleep(&nap, NULL);
	b = clock_mono_ms();
	CHECK(b - a >= 20);
	CHECK(b - a < 10000);
	CHECK(clock_mono_s() - s >= 0.020);
	CHECK(clock_mono_ms() >= b);
}

int main(void)
{
	T(test_clock_wall_is_unix_time);
	T(test_clock_mono_advances);
	return t_run();
}
