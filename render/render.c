/*
 * The one entry point the cache calls: a sheet in the format asked for,
 * handed to csv.c, json.c or ndjson.c. Pure: no I/O, no locks, no state; any thread
 * may call it.
 */
#include "render/render.h"

#include <errno.h>
#include <stdlib.h>

#include "render/csv.h"
#include "render/json.h"
#include "render/ndjson.h"

const char *render_fmt_ext(enum render_fmt fmt)
{
	switch (fmt) {
	case RENDER_FMT_CSV:
		return "csv";
	case RENDER_FMT_JSON:
		return "json";
	case RENDER_FMT_NDJSON:
		return "ndjson";
	}
	return "";
}

int render_sheet(const struct model_sheet *s, enum render_fmt fmt,
		 const struct render_opts *o, struct sbuf *out)
{
	switch (fmt) {
	case RENDER_FMT_CSV:
		return render_csv(s, o, out);
	case RENDER_FMT_JSON:
		return render_json(s, out);
	case RENDER_FMT_NDJSON:
		return render_ndjson(s, out);
	}
	sbuf_release(out);
	return -EINVAL;
}

int render_sheet_bytes(const struct model_sheet *s, enum render_fmt fmt,
		       const struct render_opts *o, char **data, size_t *len)
{
	struct sbuf sb = SBUF_INIT(0);
	size_t alloc, n;
	char *p, *fit;
	int rc;

	rc = render_sheet(s, fmt, o, &sb);
	if (rc)
		return rc;
	alloc = sb.alloc;
	p = sbuf_detach(&sb, &n);
	if (!p)
		return -ENOMEM;
	if (alloc > n + 1) {
		fit = realloc(p, n + 1);
		if (fit)
			p = fit;
	}
	*data = p;
	*len = n;
	return 0;
}
