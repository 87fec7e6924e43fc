#ifndef SSFS_RENDER_RENDER_H
#define SSFS_RENDER_RENDER_H

#include <stdbool.h>

#include "api/model.h"
#include "util/sbuf.h"

/*
 * Sheet model -> file bytes (SPEC §4), one format at a time: CSV
 * (render/csv.h), JSON (render/json.h), NDJSON (render/ndjson.h); numbers
 * in render/number.h, file names in render/names.h. A report's model
 * (is_report) gets a report's file in each format (SPEC §7: its CSV as a
 * sheet's, JSON and NDJSON with a report's keys). Pure: no I/O, no
 * globals, no locks.
 */

enum render_fmt {
	RENDER_FMT_CSV = 0,
	RENDER_FMT_JSON,
	RENDER_FMT_NDJSON, /* with -o ndjson */
};
#define RENDER_FMT_COUNT 3

/* NULL means the defaults (values=raw, LF, no BOM); JSON and NDJSON ignore
 * all three. */
struct render_opts {
	bool display; /* values=display: displayValue first */
	bool crlf;    /* CSV records end in CRLF */
	bool bom;     /* CSV starts with UTF-8's byte order mark (-o bom) */
};

/* The file name extension of fmt, without the dot ("csv"). */
const char *render_fmt_ext(enum render_fmt fmt);

/*
 * Append the file of format fmt to out: 0, or a negative errno (-EFBIG when
 * out's cap is hit, -ENOMEM, -EINVAL for an unknown fmt), and then out is
 * released.
 */
int render_sheet(const struct model_sheet *s, enum render_fmt fmt,
		 const struct render_opts *o, struct sbuf *out) SSFS_WUR;

/*
 * render_sheet into a new buffer of exactly *len + 1 bytes (the bytes and a
 * NUL): what a cache keeps for long, without the spare room the buffer's
 * doubling left. *data is the caller's to free(). Both outputs are written
 * only on success; 0 or a negative errno.
 */
int render_sheet_bytes(const struct model_sheet *s, enum render_fmt fmt,
		       const struct render_opts *o, char **data,
		       size_t *len) SSFS_WUR;

#endif /* SSFS_RENDER_RENDER_H */
