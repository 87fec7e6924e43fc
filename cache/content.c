/*
 * Rendered bytes (struct cache_content): refcounted and immutable, made
 * from a model by render/, kept in memory by the cache and on disk by
 * cache/diskcache.c, read back from there. Any thread; no lock needed (a
 * content never changes once made).
 */
#include "cache/cache_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "cache/diskcache.h"
#include "util/log.h"
#include "util/sbuf.h"

void cache_content_put(struct cache_content *ct)
{
	if (!ct)
		return;
	if (__atomic_sub_fetch(&ct->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(ct->data);
		free(ct);
	}
}

struct cache_content *cache_content_get(struct cache_content *ct)
{
	__atomic_add_fetch(&ct->refs, 1, __ATOMIC_ACQ_REL);
	return ct;
}

/* The disk cache's name for a rendering: the format and the options that
 * change its bytes; a report's begin with "report-", so that no entry of a
 * sheet is ever taken for one. */
const char *cache_variant(const struct cache *c, bool report,
			  enum render_fmt fmt)
{
	static const char *const csv[2][2][2][2] = {
	    {{{"csv-raw-lf", "csv-raw-crlf"},
	      {"csv-display-lf", "csv-display-crlf"}},
	     {{"csv-raw-lf-bom", "csv-raw-crlf-bom"},
	      {"csv-display-lf-bom", "csv-display-crlf-bom"}}},
	    {{{"report-csv-raw-lf", "report-csv-raw-crlf"},
	      {"report-csv-display-lf", "report-csv-display-crlf"}},
	     {{"report-csv-raw-lf-bom", "report-csv-raw-crlf-bom"},
	      {"report-csv-display-lf-bom", "report-csv-display-crlf-bom"}}},
	};
	const struct render_opts *o = &c->opts.render;

	switch (fmt) {
	case RENDER_FMT_JSON:
		return report ? "report-json" : "json";
	case RENDER_FMT_NDJSON:
		return report ? "report-ndjson" : "ndjson";
	case RENDER_FMT_CSV:
		break;
	}
	return csv[report ? 1 : 0][o->bom ? 1 : 0][o->display ? 1 : 0]
		  [o->crlf ? 1 : 0];
}

/* Whether held bytes stamped held_mtime are at least as new as the sheet
 * the list shows (a list read before a later fetch is merely late; an
 * unknown modifiedAt on either side trusts what is held). */
bool cache_current(int64_t held_mtime, int64_t listed_mtime)
{
	return !listed_mtime || !held_mtime || held_mtime >= listed_mtime;
}

int cache_render(struct cache *c, const struct model_sheet *m,
		 enum render_fmt fmt, struct cache_content **out)
{
	struct cache_content *ct;
	int64_t t = 0;
	int rc;

	if (!m)
		return -EINVAL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	/* Exactly the bytes: the content stays while the cache holds it. */
	rc = render_sheet_bytes(m, fmt, &c->opts.render, &ct->data, &ct->len);
	if (rc) {
		free(ct);
		return rc;
	}
	ct->version = m->version;
	if (m->modified_at && model_parse_time(m->modified_at, &t) == 0)
		ct->mtime_s = t;
	ct->refs = 1;
	*out = ct;
	return 0;
}

/* Content from the disk cache as a struct cache_content (a new reference). */
int cache_content_from_disk(struct cache *c, int64_t id, bool report,
			    enum render_fmt fmt, struct cache_content **out)
{
	struct diskcache_meta meta;
	struct cache_content *ct;
	char *data = NULL;
	int rc;

	rc = diskcache_get(c->opts.disk, id, cache_variant(c, report, fmt),
			   &meta, &data);
	if (rc)
		return rc;
	ct = calloc(1, sizeof(*ct));
	if (!ct) {
		free(data);
		return -ENOMEM;
	}
	ct->data = data;
	ct->len = (size_t)meta.size;
	ct->version = meta.version;
	ct->mtime_s = meta.mtime_s;
	ct->refs = 1;
	*out = ct;
	return 0;
}

/* Keep a freshly rendered file on disk for the next mount. Returns
 * whether it is there. */
bool cache_store_on_disk(struct cache *c, int64_t id, bool report,
			 enum render_fmt fmt, const struct cache_content *ct)
{
	struct diskcache_meta meta = {
	    .version = ct->version,
	    .mtime_s = ct->mtime_s,
	    .size = ct->len,
	};
	int rc;

	/* A report has no version (-1): its modifiedAt, checked against the
	 * report list's, says whether the copy is current. */
	if (!c->opts.disk || (ct->version < 0 && !report))
		return false;
	rc = diskcache_put(c->opts.disk, id, cache_variant(c, report, fmt),
			   &meta, ct->data);
	if (rc && rc != -EFBIG)
		log_warn("disk cache: cannot keep %s %lld: %s",
			 report ? "report" : "sheet", (long long)id,
			 strerror(-rc));
	return rc == 0;
}

