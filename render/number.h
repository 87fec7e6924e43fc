#ifndef SSFS_RENDER_NUMBER_H
#define SSFS_RENDER_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Numbers as the rendered files print them (SPEC §4). Pure: no I/O, no
 * globals, no locks; any locale.
 */

/*
 * A double as ECMAScript's Number.prototype.toString prints it: the shortest
 * text that reads back to the same double, no exponent for 1e-6 <= |x| <
 * 1e21, "-0" as "0", NaN as "NaN", infinities as "Infinity"/"-Infinity".
 * buf must hold RENDER_NUM_MAX bytes. Returns the length.
 */
#define RENDER_NUM_MAX 32
size_t render_number(double x, char *buf);

/*
 * The same for a number of the JSON and NDJSON files, but for one range:
 * an integer of 2^63 or more (below 1e21) is written with an exponent
 * ("1e+20", the same double), because JSON readers that hold integers in 64
 * bits (pandas' ujson, others) refuse longer integer literals.
 */
size_t render_number_json(double x, char *buf);

/*
 * An int64 in decimal, exactly (ids never go through a double). Writes no
 * NUL; buf must hold RENDER_INT64_MAX bytes. Returns the length.
 */
#define RENDER_INT64_MAX 20
size_t render_int64(int64_t v, char *buf);

#endif /* SSFS_RENDER_NUMBER_H */
