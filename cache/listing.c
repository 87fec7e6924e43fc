/*
 * A folder's listing as data: built from the API's list (names assigned per
 * SPEC §3 and §7 over the folder's files and folders, sorted by name and by
 * id), searched, and kept on disk for a remount or a mount that starts
 * offline. Pure but for the disk cache's files; any thread.
 */
#include "cache/listing.h"
#include "cache/cache_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "cache/diskcache.h"
#include "render/names.h"
#include "util/log.h"
#include "util/sbuf.h"

/* The disk cache's name for a folder's listing (with the folder's id, or
 * 0 for the lists of the whole account). */
static const char *dir_variant(enum cache_dir dir)
{
	switch (dir) {
	case CACHE_DIR_SHEETS:
		return "dir-sheets";
	case CACHE_DIR_REPORTS:
		return "dir-reports";
	case CACHE_DIR_WORKSPACES:
		return "dir-workspaces";
	case CACHE_DIR_WORKSPACE:
		return "dir-workspace";
	case CACHE_DIR_FOLDER:
		return "dir-folder";
	}
	return "dir-unknown";
}

void cache_listing_free(struct cache_listing *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->items[i].stem);
		free(l->items[i].permalink);
		free(l->items[i].access);
	}
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

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
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
		ne[i].folder = list->items[i].kind == MODEL_KIND_FOLDER ||
			       list->items[i].kind == MODEL_KIND_WORKSPACE;
	}
	rc = names_assign(ne, n, exts);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		const struct model_sheet_info *in = &list->items[i];
		struct cache_item *it = &l->items[i];
		int64_t t = 0;

		it->id = in->id;
		it->kind = in->kind;
		it->stem = ne[i].stem;
		ne[i].stem = NULL;
		if (in->modified_at &&
		    model_parse_time(in->modified_at, &t) == 0)
			it->mtime_s = t;
		it->permalink = dup_or_null(in->permalink);
		it->access = dup_or_null(in->access_level);
		l->count++;
		if ((in->permalink && !it->permalink) ||
		    (in->access_level && !it->access)) {
			rc = -ENOMEM;
			goto out;
		}
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

/* A field of a disk listing line: "-" for none. */
static int put_field(struct sbuf *sb, const char *s)
{
	return sbuf_addf(sb, "\t%s", s && *s && !strchr(s, '\t') &&
					  !strchr(s, '\n')
				       ? s
				       : "-");
}

void cache_listing_store(struct diskcache *disk, enum cache_dir dir,
			 int64_t dir_id, const struct model_sheet_list *list,
			 int64_t read_at)
{
	/* A listing has no version; its mtime is when it was read. */
	struct diskcache_meta meta = {.version = 0, .mtime_s = read_at};
	struct sbuf sb = SBUF_INIT(0);
	size_t i;
	int rc = 0;

	if (!disk)
		return;
	for (i = 0; !rc && i < list->count; i++) {
		const struct model_sheet_info *it = &list->items[i];

		rc = sbuf_addf(&sb, "%lld %d %zu %s", (long long)it->id,
			       (int)it->kind, strlen(it->name), it->name);
		if (!rc)
			rc = put_field(&sb, it->modified_at);
		if (!rc)
			rc = put_field(&sb, it->access_level);
		if (!rc)
			rc = put_field(&sb, it->permalink);
		if (!rc)
			rc = sbuf_addstr(&sb, "\n");
	}
	meta.size = sb.len;
	/* An empty folder is a listing too: an empty file. */
	if (!rc)
		rc = diskcache_put(disk, dir_id, dir_variant(dir), &meta,
				   sb.buf);
	if (rc && rc != -EFBIG)
		log_warn("disk cache: cannot keep a folder's listing: %s",
			 strerror(-rc));
	sbuf_release(&sb);
}

/* The next tab-separated field of a line (up to end) as a new string,
 * NULL for "-"; *p moves past it. -EBADMSG or -ENOMEM. */
static int take_field(char **p, const char *end, char **out)
{
	char *s = *p, *e;

	if (s >= end || *s != '\t')
		return -EBADMSG;
	s++;
	e = s;
	while (e < end && *e != '\t' && *e != '\n')
		e++;
	*p = e;
	if (e - s == 1 && *s == '-') {
		*out = NULL;
		return 0;
	}
	*out = strndup(s, (size_t)(e - s));
	return *out ? 0 : -ENOMEM;
}

int cache_listing_load(struct diskcache *disk, enum cache_dir dir,
		       int64_t dir_id, struct model_sheet_list *list,
		       int64_t *read_at)
{
	struct diskcache_meta meta;
	char *data = NULL, *p, *end;
	size_t n = 0, cap = 0;
	int rc;

	rc = diskcache_get(disk, dir_id, dir_variant(dir), &meta, &data);
	if (rc)
		return rc;
	rc = -EBADMSG;
	p = data;
	end = data + meta.size;
	while (p < end) {
		struct model_sheet_info *it;
		char *e;
		long long id = strtoll(p, &e, 10);
		long kind;
		unsigned long long len;

		if (e == p || *e != ' ')
			goto out;
		kind = strtol(e + 1, &e, 10);
		if (*e != ' ' || kind < MODEL_KIND_SHEET ||
		    kind > MODEL_KIND_WORKSPACE)
			goto out;
		len = strtoull(e + 1, &e, 10);
		if (*e != ' ' || len > (size_t)(end - e - 1))
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
		list->count = ++n;
		it->id = id;
		it->kind = (enum model_kind)kind;
		it->version = -1;
		it->name = strndup(e + 1, len);
		p = e + 1 + len;
		if (!it->name || take_field(&p, end, &it->modified_at) ||
		    take_field(&p, end, &it->access_level) ||
		    take_field(&p, end, &it->permalink) || p >= end ||
		    *p != '\n')
			goto out;
		p++;
	}
	rc = 0;
	if (read_at)
		*read_at = meta.mtime_s;
out:
	free(data);
	if (rc)
		model_sheet_list_release(list);
	return rc;
}

static bool is_folder(const struct cache_item *it)
{
	return it->kind == MODEL_KIND_FOLDER || it->kind == MODEL_KIND_WORKSPACE;
}

const struct cache_item *cache_find_stem(const struct cache_listing *l,
					 const char *stem, bool folder)
{
	size_t lo = 0, hi = l->count;

	/* The first item with this stem: a folder and a file may share one
	 * ("Roadmap" and "Roadmap.csv"). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->items[mid].stem, stem) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->count && strcmp(l->items[lo].stem, stem) == 0; lo++)
		if (is_folder(&l->items[lo]) == folder)
			return &l->items[lo];
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

