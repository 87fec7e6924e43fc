#ifndef SSFS_UTIL_CLOCK_H
#define SSFS_UTIL_CLOCK_H

#include <stdint.h>

/*
 * The two clocks the layers read. Monotonic time (CLOCK_MONOTONIC) measures
 * intervals, deadlines and ages: it never jumps with the wall clock. Wall
 * time (CLOCK_REALTIME, since the Unix epoch) is for what is stored or
 * shown: token expiry, save times, "since" in .auth/status.
 */

int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);
/* The same in seconds, with the fraction (ns resolution). */
double clock_mono_s(void);
double clock_wall_s(void);

#endif /* SSFS_UTIL_CLOCK_H */
