#ifndef SSFS_FS_RENDER_H
#define SSFS_FS_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/model.h"
#include "util/sbuf.h"

/*
 * Sheet model -> file bytes (SPEC §4). Pure: no I/O, no globals, no locks.
 * Each function appends to out and returns 0 or a negative errno (-EFBIG when
 * out's cap is hit, -ENOMEM); on failure out is released.
 */

enum render_fmt {
	RENDER_FMT_CSV = 0,
	RENDER_FMT_JSON,
};

struct render_opts {
	bool display;  /* values=display: displayValue first */
	bool crlf;     /* CSV records end in CRLF */
};

int render_csv(const struct model_sheet *s, const struct render_opts *o,
	       struct sbuf *out) SSFS_WUR;
int render_json(const struct model_sheet *s, struct sbuf *out) SSFS_WUR;
int render_sheet(const struct model_sheet *s, enum render_fmt fmt,
		 const struct render_opts *o, struct sbuf *out) SSFS_WUR;

/*
 * A double as ECMAScript's Number.prototype.toString prints it: the shortest
 * text that reads back to the same double, no exponent for 1e-6 <= |x| <
 * 1e21, "-0" as "0", NaN as "NaN", infinities as "Infinity"/"-Infinity".
 * buf must hold RENDER_NUM_MAX bytes. Returns the length.
 */
#define RENDER_NUM_MAX 32
size_t render_number(double x, char *buf);

/* Append s as one CSV field (quoted when it holds , " CR or LF). */
int render_csv_field(struct sbuf *out, const char *s) SSFS_WUR;

/* Append s as a JSON string literal with escapes. */
int render_json_string(struct sbuf *out, const char *s) SSFS_WUR;

#endif /* SSFS_FS_RENDER_H */
