/*
 * Paths to nodes (SPEC §3, §7): the fixed folders and control files, a
 * sheet's files in sheets/, a report's in reports/, both in by-id/, and
 * the tree below workspaces/, walked one listing at a time (each held for
 * cache_ttl by the cache). Also the one place a sheet or report was last
 * seen in the tree, so that its files there can be invalidated. libfuse's
 * workers; the tree paths under their own lock.
 */
#include "fs/ops_i.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cache/cache.h"
#include "fs/ops.h"
#include "fs/write_i.h"
#include "render/names.h"

bool fsops_fmt_shown(const struct fsops_ctx *x, int f)
{
	return f != RENDER_FMT_NDJSON || x->ndjson;
}

/* "name.csv" -> stem length and format; false for other extensions. */
static bool split_ext(const char *name, size_t *stem_len, enum render_fmt *fmt)
{
	size_t n = strlen(name), e;
	int f;

	for (f = 0; f < RENDER_FMT_COUNT; f++) {
		const char *ext = render_fmt_ext((enum render_fmt)f);

		e = strlen(ext);
		if (!fsops_fmt_shown(fsops_ctx_now(), f) || n <= e + 1 ||
		    name[n - e - 1] != '.' || strcmp(name + n - e, ext) != 0)
			continue;
		*stem_len = n - e - 1;
		*fmt = (enum render_fmt)f;
		return true;
	}
	return false;
}

/* Until a credential is held, the sheets are out of reach (SPEC §3). */
static int need_credential(void)
{
	struct auth *a = fsops_ctx_now()->auth;

	return a && !auth_usable(a) ? -EACCES : 0;
}

void fsops_node_release(struct node *n)
{
	if (n->l)
		cache_put_listing(fsops_cache(), n->l);
	n->l = NULL;
}

const struct cache_item *fsops_node_item(const struct node *n)
{
	return n->l && n->idx < n->l->count ? &n->l->items[n->idx] : NULL;
}

/* n takes the entry it of listing l (and a reference to l). */
static void take_entry(struct node *n, struct cache_listing *l,
		       const struct cache_item *it)
{
	n->l = cache_listing_ref(fsops_cache(), l);
	n->idx = (size_t)(it - l->items);
}

/* A sheet's modifiedAt as the sheet list gives it (what the cache checks
 * what it holds against); 0 when the list does not have it. */
static int64_t sheet_mtime(int64_t id)
{
	struct cache_listing *l = NULL;
	const struct cache_item *it;
	int64_t t = 0;

	if (cache_get_listing(fsops_cache(), API_PRIO_USER, &l))
		return 0;
	it = cache_find_id(l, id);
	if (it)
		t = it->mtime_s;
	cache_put_listing(fsops_cache(), l);
	return t;
}

/* A file named name (stem + extension) among the entries of l. */
static int file_in(struct cache_listing *l, const char *name, bool by_id,
		   struct node *n)
{
	const struct cache_item *it = NULL;
	char stem[NAME_MAX + 1];
	size_t len;
	int64_t id;

	if (!split_ext(name, &len, &n->fmt) || len > NAME_MAX)
		return -ENOENT;
	memcpy(stem, name, len);
	stem[len] = '\0';
	if (by_id)
		it = names_parse_id(stem, len, &id) == 0 ? cache_find_id(l, id)
							 : NULL;
	else
		it = cache_find_stem(l, stem, false);
	if (!it || (it->kind != MODEL_KIND_SHEET &&
		    it->kind != MODEL_KIND_REPORT))
		return -ENOENT;
	n->kind = NODE_FILE;
	n->ref.id = it->id;
	n->ref.report = it->kind == MODEL_KIND_REPORT;
	n->ref.mtime_s = it->mtime_s;
	if (!n->ref.report && l->dir != CACHE_DIR_SHEETS)
		n->ref.mtime_s = sheet_mtime(it->id);
	take_entry(n, l, it);
	return 0;
}

/* A file in one of the account-wide folders (sheets/, reports/, by-id/). */
static int resolve_flat(const char *name, enum cache_dir dir, bool by_id,
			struct node *n)
{
	struct cache_listing *l = NULL;
	int rc;

	rc = need_credential();
	if (rc)
		return rc;
	rc = cache_get_dir(fsops_cache(), dir, 0, API_PRIO_USER, &l);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	rc = file_in(l, name, by_id, n);
	cache_put_listing(fsops_cache(), l);
	/* by-id/ holds the reports too. */
	if (rc == -ENOENT && by_id && dir == CACHE_DIR_SHEETS)
		return resolve_flat(name, CACHE_DIR_REPORTS, true, n);
	return rc;
}

/* ---- where a sheet or report was seen in the tree (for invalidation) ---- */

#define TREE_PATHS 4096

static pthread_mutex_t paths_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tree_path {
	int64_t id;
	char *path; /* protected by paths_lock */
} tree_paths[TREE_PATHS];

static void note_tree_path(int64_t id, const char *path, size_t stem_end)
{
	struct tree_path *t = &tree_paths[(uint64_t)id % TREE_PATHS];
	char *p = strndup(path, stem_end);

	if (!p)
		return; /* a hint: the kernel's cache times out anyway */
	pthread_mutex_lock(&paths_lock);
	free(t->path);
	t->id = id;
	t->path = p;
	pthread_mutex_unlock(&paths_lock);
}

bool fsops_tree_path(int64_t id, char *buf, size_t size)
{
	struct tree_path *t = &tree_paths[(uint64_t)id % TREE_PATHS];
	bool found = false;

	pthread_mutex_lock(&paths_lock);
	if (t->path && t->id == id && strlen(t->path) < size) {
		memcpy(buf, t->path, strlen(t->path) + 1);
		found = true;
	}
	pthread_mutex_unlock(&paths_lock);
	return found;
}

void fsops_tree_paths_release(void)
{
	size_t i;

	pthread_mutex_lock(&paths_lock);
	for (i = 0; i < TREE_PATHS; i++) {
		free(tree_paths[i].path);
		tree_paths[i].path = NULL;
	}
	pthread_mutex_unlock(&paths_lock);
}

/* ---- the tree below /workspaces ---- */

/*
 * Walk rest ("W/F/.../last") one listing at a time: the workspaces, then
 * each workspace's or folder's children; only the folders on the path are
 * read (SPEC §7). The last component is a folder or a file.
 */
static int resolve_tree(const char *path, const char *rest, struct node *n)
{
	enum cache_dir dir = CACHE_DIR_WORKSPACES;
	struct cache_listing *l = NULL;
	const struct cache_item *it;
	char comp[NAME_MAX + 1];
	int64_t dir_id = 0;
	const char *slash;
	size_t len;
	int rc;

	rc = need_credential();
	if (rc)
		return rc;
	for (;;) {
		slash = strchr(rest, '/');
		len = slash ? (size_t)(slash - rest) : strlen(rest);
		if (len == 0 || len > NAME_MAX)
			return -ENOENT;
		memcpy(comp, rest, len);
		comp[len] = '\0';
		rc = cache_get_dir(fsops_cache(), dir, dir_id, API_PRIO_USER,
				   &l);
		if (rc)
			return rc;
		it = cache_find_stem(l, comp, true);
		if (it && it->kind != (dir == CACHE_DIR_WORKSPACES
					   ? MODEL_KIND_WORKSPACE
					   : MODEL_KIND_FOLDER))
			it = NULL;
		if (!slash && !it && dir != CACHE_DIR_WORKSPACES) {
			rc = file_in(l, comp, false, n);
			if (rc == 0)
				note_tree_path(n->ref.id, path,
					       strlen(path) - strlen(comp) +
						   strlen(l->items[n->idx].stem));
			cache_put_listing(fsops_cache(), l);
			return rc;
		}
		if (!it) {
			cache_put_listing(fsops_cache(), l);
			return -ENOENT;
		}
		dir = it->kind == MODEL_KIND_WORKSPACE ? CACHE_DIR_WORKSPACE
						       : CACHE_DIR_FOLDER;
		dir_id = it->id;
		if (!slash) {
			n->kind = NODE_DIR_TREE;
			n->dir = dir;
			n->dir_id = dir_id;
			take_entry(n, l, it);
			cache_put_listing(fsops_cache(), l);
			return 0;
		}
		cache_put_listing(fsops_cache(), l);
		l = NULL;
		rest = slash + 1;
	}
}

/* path is "/<dir>/<name>" with no further slash: the name, else NULL. */
static const char *child_of(const char *path, const char *dir, size_t dlen)
{
	if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/' ||
	    strchr(path + dlen + 1, '/'))
		return NULL;
	return path + dlen + 1;
}

/* ---- hidden names of replaced sheet files (see ops_i.h) ---- */

static pthread_mutex_t hidden_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hidden {
	char *path;
	struct cache_ref ref;
	enum render_fmt fmt;
	struct hidden *next;
} *hiddens; /* under hidden_lock */

bool fsops_is_hidden_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base && strncmp(base + 1, ".fuse_hidden", 12) == 0;
}

int fsops_hide(const char *path, const struct node *n)
{
	struct hidden *h = calloc(1, sizeof(*h));

	if (!h || !(h->path = strdup(path))) {
		free(h);
		return -ENOMEM;
	}
	h->ref = n->ref;
	h->fmt = n->fmt;
	pthread_mutex_lock(&hidden_lock);
	h->next = hiddens;
	hiddens = h;
	pthread_mutex_unlock(&hidden_lock);
	return 0;
}

static bool hidden_find(const char *path, struct node *n)
{
	struct hidden *h;
	bool found = false;

	pthread_mutex_lock(&hidden_lock);
	for (h = hiddens; h && !found; h = h->next) {
		if (strcmp(h->path, path) != 0)
			continue;
		n->kind = NODE_FILE;
		n->ref = h->ref;
		n->fmt = h->fmt;
		found = true;
	}
	pthread_mutex_unlock(&hidden_lock);
	return found;
}

bool fsops_hidden_drop(const char *path)
{
	struct hidden **p, *h = NULL;

	pthread_mutex_lock(&hidden_lock);
	for (p = &hiddens; *p; p = &(*p)->next) {
		if (strcmp((*p)->path, path) == 0) {
			h = *p;
			*p = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&hidden_lock);
	if (h) {
		free(h->path);
		free(h);
	}
	return h != NULL;
}

void fsops_hidden_release(void)
{
	struct hidden *h, *next;

	pthread_mutex_lock(&hidden_lock);
	h = hiddens;
	hiddens = NULL;
	pthread_mutex_unlock(&hidden_lock);
	for (; h; h = next) {
		next = h->next;
		free(h->path);
		free(h);
	}
}

/* With -o write: .status, .rejected/ and the files in it. */
static bool resolve_write_files(const char *path, struct node *n)
{
	const char *name;

	if (strcmp(path, STATUS_FILE) == 0) {
		n->kind = NODE_STATUS;
		return true;
	}
	if (strcmp(path, REJECTED_DIR) == 0) {
		n->kind = NODE_DIR_REJECTED;
		return true;
	}
	name = child_of(path, REJECTED_DIR, sizeof(REJECTED_DIR) - 1);
	if (!name || !*name)
		return false;
	n->kind = NODE_REJECTED;
	n->name = name;
	return true;
}

int fsops_resolve(const char *path, struct node *n)
{
	static const struct {
		const char *path;
		enum node_kind kind;
		bool oauth;
	} fixed[] = {
	    {"/", NODE_ROOT, false},
	    {SHEETS_DIR, NODE_DIR_SHEETS, false},
	    {BYID_DIR, NODE_DIR_BYID, false},
	    {REPORTS_DIR, NODE_DIR_REPORTS, false},
	    {WORKSPACES_DIR, NODE_DIR_WORKSPACES, false},
	    {AUTH_DIR, NODE_DIR_AUTH, false},
	    {AUTH_STATUS, NODE_AUTH_STATUS, false},
	    {AUTH_URL, NODE_AUTH_URL, true},
	    {AUTH_VERIFIER, NODE_AUTH_VERIFIER, true},
	    {AUTH_REFRESH, NODE_AUTH_REFRESH, true},
	};
	struct fsops_ctx *x = fsops_ctx_now();
	struct auth *a = x->auth;
	const char *name;
	size_t i;
	int rc;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(path, fixed[i].path) != 0)
			continue;
		if (fixed[i].oauth && !(a && auth_is_oauth(a)))
			return -ENOENT;
		n->kind = fixed[i].kind;
		return 0;
	}
	if (x->write && (resolve_write_files(path, n) ||
			 (fsops_is_hidden_name(path) && hidden_find(path, n))))
		return 0;
	if ((name = child_of(path, SHEETS_DIR, sizeof(SHEETS_DIR) - 1)))
		rc = resolve_flat(name, CACHE_DIR_SHEETS, false, n);
	else if ((name = child_of(path, BYID_DIR, sizeof(BYID_DIR) - 1)))
		rc = resolve_flat(name, CACHE_DIR_SHEETS, true, n);
	else if ((name = child_of(path, REPORTS_DIR, sizeof(REPORTS_DIR) - 1)))
		return resolve_flat(name, CACHE_DIR_REPORTS, false, n);
	else if (strncmp(path, WORKSPACES_DIR "/", sizeof(WORKSPACES_DIR)) ==
		 0)
		rc = resolve_tree(path, path + sizeof(WORKSPACES_DIR), n);
	else
		return -ENOENT;
	/* Not a sheet's file: a scratch file of a writable folder? */
	if (rc == -ENOENT && x->write && scratch_exists(path)) {
		memset(n, 0, sizeof(*n));
		n->kind = NODE_SCRATCH;
		rc = 0;
	}
	return rc;
}
