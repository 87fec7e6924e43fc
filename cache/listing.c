#include "cache/cache.h"
#include "cache/listing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/model.h"
#include "cache/diskcache.h"
#include "render/names.h"
#include "util/log.h"
#include "util/sbuf.h"

/* The sheet list: built from the API's, searched, kept on disk. */

#define DISK_LIST_ID 0 /* no sheet has id 0: the list's disk entry */
#define DISK_LIST_VARIANT "list"

void listing_free(struct cache_listing *l)
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
int listing_build(const struct model_sheet_list *list,
			 struct cache_listing **out)
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
	rc = names_assign(ne, n);
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
	listing_free(l);
	return rc;
}

/*
 * The sheet list on disk, so that a mount that starts offline still has
 * names for what the disk cache holds. One line per sheet:
 * "<id> <name bytes> <name>\t<modifiedAt or ->\n" (the length makes any
 * name safe).
 */
void listing_store_on_disk(struct diskcache *disk,
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

int listing_load_from_disk(struct diskcache *disk,
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
