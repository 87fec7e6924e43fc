/*
 * The sheet list: built from the API's (names assigned per SPEC §3, sorted
 * by stem and by id), refcounted snapshots re-read after cache_ttl
 * (single-flight), searched, kept on disk for a mount that starts offline.
 * Any thread; the snapshot pointer and refcounts under c->lock.
 */
#include "cache/listing.h"
#include "cache/cache_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/model.h"
#include "cache/diskcache.h"
#include "render/names.h"
#include "util/log.h"
#include "util/sbuf.h"

#define DISK_LIST_ID 0 /* no sheet has id 0: the list's disk entry */
#define DISK_LIST_VARIANT "list"

void cache_listing_free(struct cache_listing *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->count; i++)
		free(l->items[i].stem);
	free(l->items);
	free(l->by_id);
	free(l);
}

static int cmp_stem(const void *a, const void *b)
{
	const struct cache_item *x = a, *y = b;

	return strcmp(x->stem, y->stem);
}

static int cmp_id(const void *a, const void *b)
{
	const struct cache_item *x = *(struct cache_item *const *)a;
	const struct cache_item *y = *(struct cache_item *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Build a listing from the API's list. */
int cache_listing_build(const struct model_sheet_list *list,
			const char *const *exts, struct cache_listing **out)
{
	struct cache_listing *l = NULL;
	struct names_entry *ne = NULL;
	size_t i, n = list->count;
	int rc = -ENOMEM;

	l = calloc(1, sizeof(*l));
	ne = calloc(n ? n : 1, sizeof(*ne));
	if (!l || !ne)
		goto out;
	l->items = calloc(n ? n : 1, sizeof(*l->items));
	/* An array of pointers: NOLINTNEXTLINE(bugprone-sizeof-expression) */
	l->by_id = calloc(n ? n : 1, sizeof(*l->by_id));
	if (!l->items || !l->by_id)
		goto out;
	for (i = 0; i < n; i++) {
		ne[i].id = list->items[i].id;
		ne[i].name = list->items[i].name;
	}
	rc = names_assign(ne, n, exts);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		int64_t t = 0;

		l->items[i].id = list->items[i].id;
		l->items[i].stem = ne[i].stem;
		ne[i].stem = NULL;
		if (list->items[i].modified_at &&
		    model_parse_time(list->items[i].modified_at, &t) == 0)
			l->items[i].mtime_s = t;
		l->count++;
	}
	qsort(l->items, l->count, sizeof(*l->items), cmp_stem);
	for (i = 0; i < l->count; i++)
		l->by_id[i] = &l->items[i];
	/* An array of pointers: NOLINTNEXTLINE(bugprone-sizeof-expression) */
	qsort(l->by_id, l->count, sizeof(*l->by_id), cmp_id);
	l->refs = 1;
	*out = l;
	l = NULL;
	rc = 0;
out:
	if (ne)
		names_release(ne, n);
	free(ne);
	cache_listing_free(l);
	return rc;
}

/*
 * The sheet list on disk, so that a mount that starts offline still has
 * names for what the disk cache holds. One line per sheet:
 * "<id> <name bytes> <name>\t<modifiedAt or ->\n" (the length makes any
 * name safe).
 */
void cache_listing_store(struct diskcache *disk,
			   const struct model_sheet_list *list)
{
	struct diskcache_meta meta = {.version = 0, .mtime_s = 0};
	struct sbuf sb = SBUF_INIT(0);
	size_t i;
	int rc = 0;

	if (!disk)
		return;
	for (i = 0; !rc && i < list->count; i++) {
		const struct model_sheet_info *it = &list->items[i];

		rc = sbuf_addf(&sb, "%lld %zu %s\t%s\n", (long long)it->id,
			       strlen(it->name), it->name,
			       it->modified_at ? it->modified_at : "-");
	}
	meta.size = sb.len;
	if (!rc && sb.len)
		rc = diskcache_put(disk, DISK_LIST_ID,
				   DISK_LIST_VARIANT, &meta, sb.buf);
	if (rc && rc != -EFBIG)
		log_warn("disk cache: cannot keep the sheet list: %s",
			 strerror(-rc));
	sbuf_release(&sb);
}

int cache_listing_load(struct diskcache *disk,
			   struct model_sheet_list *list)
{
	struct diskcache_meta meta;
	char *data = NULL, *p, *end;
	size_t n = 0, cap = 0;
	int rc;

	rc = diskcache_get(disk, DISK_LIST_ID, DISK_LIST_VARIANT, &meta,
			   &data);
	if (rc)
		return rc;
	rc = -EBADMSG;
	p = data;
	end = data + meta.size;
	while (p < end) {
		struct model_sheet_info *it;
		char *e, *tab, *nl;
		long long id = strtoll(p, &e, 10);
		unsigned long long len;

		if (e == p || *e != ' ')
			goto out;
		len = strtoull(e + 1, &e, 10);
		if (*e != ' ' || len > (size_t)(end - e - 1))
			goto out;
		tab = e + 1 + len;
		nl = memchr(tab, '\n', (size_t)(end - tab));
		if (*tab != '\t' || !nl)
			goto out;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *q = realloc(list->items, ncap * sizeof(*it));

			if (!q) {
				rc = -ENOMEM;
				goto out;
			}
			list->items = q;
			cap = ncap;
		}
		it = &list->items[n];
		memset(it, 0, sizeof(*it));
		it->id = id;
		it->version = -1;
		it->name = strndup(e + 1, len);
		it->modified_at =
		    nl - tab - 1 == 1 && tab[1] == '-'
			? NULL
			: strndup(tab + 1, (size_t)(nl - tab - 1));
		list->count = ++n;
		if (!it->name)
			goto out;
		p = nl + 1;
	}
	rc = 0;
out:
	free(data);
	if (rc)
		model_sheet_list_release(list);
	return rc;
}

const struct cache_item *cache_find_stem(const struct cache_listing *l,
					 const char *stem)
{
	size_t lo = 0, hi = l->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(l->items[mid].stem, stem);

		if (d == 0)
			return &l->items[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct cache_item *cache_find_id(const struct cache_listing *l,
				       int64_t id)
{
	size_t lo = 0, hi = l->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->by_id[mid]->id == id)
			return l->by_id[mid];
		if (l->by_id[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int cache_get_listing(struct cache *c, enum api_prio prio,
		      struct cache_listing **out)
{
	struct model_sheet_list list = {0};
	struct api_result res;
	struct cache_listing *fresh = NULL;
	bool from_disk = false, tried;
	int rc;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (c->listing &&
		    cache_mono(c) - c->listed_at < (double)c->opts.ttl_s) {
			c->listing->refs++;
			*out = c->listing;
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		if (!c->listing_busy)
			break;
		pthread_cond_wait(&c->cond, &c->lock);
		/* Whoever was busy just finished: use what it got, even at
		 * ttl 0, rather than asking again. */
		if (c->listing && !c->listing_busy) {
			c->listing->refs++;
			*out = c->listing;
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
	}
	c->listing_busy = true;
	pthread_mutex_unlock(&c->lock);

	memset(&res, 0, sizeof(res));
	tried = cache_may_try(c);
	if (tried) {
		rc = c->src.ops->list_sheets(c->src.ctx, prio, &list, &res);
		cache_note_result(c, rc, &res);
	} else {
		rc = -EIO; /* offline, and not yet time to try again */
	}
	if (rc == 0) {
		cache_listing_store(c->opts.disk, &list);
	} else if (cache_is_network_error(rc) && !c->listing && c->opts.disk &&
		   cache_listing_load(c->opts.disk, &list) == 0) {
		/* Offline from the start: the names of what the disk holds,
		 * until the API answers again. */
		log_warn("sheet list: using the one on disk (%s)",
			 strerror(-rc));
		from_disk = true;
		rc = 0;
	}
	if (rc == 0)
		rc = cache_listing_build(&list,
					 c->opts.ndjson ? names_exts_ndjson
							: names_exts_default,
					 &fresh);
	model_sheet_list_release(&list);

	pthread_mutex_lock(&c->lock);
	c->listing_busy = false;
	if (rc == 0) {
		if (c->listing && --c->listing->refs == 0)
			cache_listing_free(c->listing);
		c->listing = fresh;
		c->listed_at = from_disk ? -1e18 : cache_mono(c);
	} else if (c->listing && cache_is_network_error(rc)) {
		/* Offline: keep serving the list we have. */
		if (tried)
			log_warn("sheet list: using the list from before (%s)",
				 strerror(-rc));
		rc = 0;
	}
	if (rc == 0) {
		c->listing->refs++;
		*out = c->listing;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (fresh && c->hooks.listing_changed)
		c->hooks.listing_changed(c->hooks.ctx);
	return rc;
}

bool cache_disk_nearly_full(struct cache *c)
{
	return c->opts.disk && diskcache_nearly_full(c->opts.disk);
}

struct cache_listing *cache_listing_now(struct cache *c)
{
	struct cache_listing *l;

	pthread_mutex_lock(&c->lock);
	l = c->listing;
	if (l)
		l->refs++;
	pthread_mutex_unlock(&c->lock);
	return l;
}

void cache_put_listing(struct cache *c, struct cache_listing *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&c->lock);
	if (--l->refs == 0)
		cache_listing_free(l);
	pthread_mutex_unlock(&c->lock);
}

