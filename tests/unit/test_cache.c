/*
 * The cache (SPEC §6) against a fake source and a fake clock: the TTL and
 * revalidation, the validation time that only an answer moves, single-
 * flight, offline serving and its backoff, what is never papered over,
 * the disk cache after a "remount", the warm-up's fetch, the list.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/diskcache.h"
#include "testlib.h"
#include "fake_source.h"
#include "util/sbuf.h"

static struct cache *new_cache(struct fake *f, long ttl,
			       struct diskcache *disk)
{
	struct cache_opts o;

	memset(&o, 0, sizeof(o));
	o.ttl_s = ttl;
	o.disk = disk;
	return cache_new(&f->src, &o);
}

/* Open (ref, fmt); the bytes as a new string, or NULL with *rc set. */
static char *open_text_ref(struct cache *c, const struct cache_ref *ref,
			   enum render_fmt fmt, int *rc)
{
	struct cache_content *ct = NULL;
	bool keep = false, direct = false;
	char *s;

	*rc = cache_open(c, ref, fmt, &ct, &keep, &direct);
	if (*rc)
		return NULL;
	s = strndup(ct->data, ct->len);
	cache_content_put(ct);
	return s;
}

/* The same for sheet id. */
static char *open_text(struct cache *c, int64_t id, enum render_fmt fmt,
		       int *rc)
{
	struct cache_ref ref = {id, false, 0};

	return open_text_ref(c, &ref, fmt, rc);
}

static bool has(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

static void test_cache_ttl_then_one_version_check(void)
{
	struct fake f;
	struct cache *c;
	char *s;
	int rc;

	fake_init(&f, 2);
	c = new_cache(&f, 30, NULL);
	s = open_text(c, 101, RENDER_FMT_CSV, &rc);
	CHECK_INT(rc, 0);
	CHECK(has(s, "Task\nv1\n"));
	free(s);
	CHECK_INT(f.get_calls, 1);
	/* Within the TTL: nothing is asked, the other format included. */
	fake_set_time(&f, 1029.9);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	s = open_text(c, 101, RENDER_FMT_JSON, &rc);
	CHECK(has(s, "\"Task\":\"v1\""));
	free(s);
	CHECK_INT(f.get_calls, 1);
	CHECK_INT(f.version_calls, 0);
	/* After it: one GET /version; same version, no fetch. */
	fake_set_time(&f, 1030.0);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(f.version_calls, 1);
	CHECK_INT(f.get_calls, 1);
	/* Changed on the server: fetched again. */
	fake_bump(&f, 101);
	fake_set_time(&f, 1061.0);
	s = open_text(c, 101, RENDER_FMT_CSV, &rc);
	CHECK(has(s, "v2"));
	free(s);
	CHECK_INT(f.version_calls, 2);
	CHECK_INT(f.get_calls, 2);
	cache_free(c);
	fake_release(&f);
}

/* Issue 11 #10: rendering the other format from the model held asks
 * nothing, so it must not move the validation time. */
static void test_cache_only_an_answer_moves_the_validation_time(void)
{
	struct fake f;
	struct cache *c;
	int rc;

	fake_init(&f, 1);
	c = new_cache(&f, 2, NULL);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	fake_set_time(&f, 1001.5);
	free(open_text(c, 101, RENDER_FMT_JSON, &rc));
	fake_set_time(&f, 1003.0);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(f.get_calls, 1);
	CHECK_INT(f.version_calls, 1);
	cache_free(c);
	fake_release(&f);
}

struct opener {
	struct cache *c;
	int rc;
	char *text;
};

static void *open_thread(void *arg)
{
	struct opener *o = arg;

	o->text = open_text(o->c, 101, RENDER_FMT_CSV, &o->rc);
	return NULL;
}

static bool one_in_get(const struct fake *f)
{
	return f->in_get == 1;
}

static void test_cache_single_flight(void)
{
	struct opener o[4];
	pthread_t t[4];
	struct fake f;
	struct cache *c;
	int i;

	fake_init(&f, 1);
	c = new_cache(&f, 30, NULL);
	f.hold_get = true;
	for (i = 0; i < 4; i++) {
		o[i].c = c;
		o[i].text = NULL;
		CHECK_INT(pthread_create(&t[i], NULL, open_thread, &o[i]), 0);
	}
	CHECK(fake_wait(&f, one_in_get));
	usleep(100 * 1000); /* the others reach the busy flag */
	fake_lock(&f);
	f.hold_get = false;
	fake_unlock(&f);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(o[i].rc, 0);
		CHECK(has(o[i].text, "v1"));
		free(o[i].text);
	}
	CHECK_INT(f.get_calls, 1);
	cache_free(c);
	fake_release(&f);
}

static void set_failure(struct fake *f, int rc, long status)
{
	fake_lock(f);
	f->fail_rc = rc;
	f->fail_status = status;
	fake_unlock(f);
}

static int requests(struct fake *f)
{
	int n;

	fake_lock(f);
	n = f->list_calls + f->get_calls + f->version_calls;
	fake_unlock(f);
	return n;
}

/* Issue 11 #11: offline, held content is served at once and the network
 * is tried once per backoff step (1 s, doubling up to cache_ttl). */
static void test_cache_offline_serves_held_and_backs_off(void)
{
	struct sbuf st = SBUF_INIT(4096);
	struct fake f;
	struct cache *c;
	char *s;
	int rc, n;

	fake_init(&f, 2);
	c = new_cache(&f, 4, NULL);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	set_failure(&f, -EIO, 0); /* nothing answers */
	fake_set_time(&f, 1010.0);
	n = requests(&f);
	s = open_text(c, 101, RENDER_FMT_CSV, &rc);
	CHECK_INT(rc, 0);
	CHECK(has(s, "v1"));
	free(s);
	CHECK_INT(requests(&f), n + 1);
	/* Within the step: no request, held served, not held fails. */
	fake_set_time(&f, 1010.9);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(rc, 0);
	CHECK(open_text(c, 102, RENDER_FMT_CSV, &rc) == NULL);
	CHECK_INT(rc, -EIO);
	CHECK_INT(requests(&f), n + 1);
	/* Steps of 1, 2, 4 (the TTL), 4 s. */
	fake_set_time(&f, 1011.0);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(requests(&f), n + 2);
	fake_set_time(&f, 1012.9);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(requests(&f), n + 2);
	fake_set_time(&f, 1013.0);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(requests(&f), n + 3);
	fake_set_time(&f, 1016.9);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(requests(&f), n + 3);
	CHECK_INT(cache_status(c, &st), 0);
	CHECK(has(st.buf, "network: offline since"));
	/* A 500 with a body is an answer of sorts: still offline; a
	 * malformed answer (200) is no reason to back off. */
	set_failure(&f, 0, 0);
	fake_set_time(&f, 1017.0);
	free(open_text(c, 102, RENDER_FMT_CSV, &rc));
	CHECK_INT(rc, 0);
	sbuf_reset(&st);
	CHECK_INT(cache_status(c, &st), 0);
	CHECK(has(st.buf, "network: online"));
	sbuf_release(&st);
	cache_free(c);
	fake_release(&f);
}

/* A 5xx after the retries backs off too; an answer the parser refused
 * (status 200, EIO) does not. */
static void test_cache_backoff_only_without_a_usable_answer(void)
{
	struct fake f;
	struct cache *c;
	int rc, n;

	fake_init(&f, 1);
	c = new_cache(&f, 10, NULL);
	set_failure(&f, -EIO, 200);
	CHECK(open_text(c, 101, RENDER_FMT_CSV, &rc) == NULL);
	CHECK(open_text(c, 101, RENDER_FMT_CSV, &rc) == NULL);
	CHECK_INT(f.get_calls, 2);
	set_failure(&f, -EIO, 503);
	n = requests(&f);
	CHECK(open_text(c, 101, RENDER_FMT_CSV, &rc) == NULL);
	CHECK(open_text(c, 101, RENDER_FMT_CSV, &rc) == NULL);
	CHECK_INT(rc, -EIO);
	CHECK_INT(requests(&f), n + 1);
	cache_free(c);
	fake_release(&f);
}

static void set_sheet_rc(struct fake *f, int64_t id, int rc)
{
	fake_lock(f);
	fake_find(f, id)->rc = rc;
	fake_unlock(f);
}

/* EACCES and ENOENT are the server's word: never served from what is
 * held (SPEC §3). */
static void test_cache_refusals_are_not_papered_over(void)
{
	struct fake f;
	struct cache *c;
	int rc;

	fake_init(&f, 2);
	c = new_cache(&f, 1, NULL);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	free(open_text(c, 102, RENDER_FMT_CSV, &rc));
	set_sheet_rc(&f, 101, -EACCES);
	set_sheet_rc(&f, 102, -ENOENT);
	fake_set_time(&f, 1002.0);
	CHECK(open_text(c, 101, RENDER_FMT_CSV, &rc) == NULL);
	CHECK_INT(rc, -EACCES);
	CHECK(open_text(c, 102, RENDER_FMT_CSV, &rc) == NULL);
	CHECK_INT(rc, -ENOENT);
	cache_free(c);
	fake_release(&f);
}

/* A disk cache in a new folder under /tmp (dir: its template, filled in);
 * NULL after a failed check. */
static struct diskcache *new_disk(char *dir)
{
	struct diskcache *d = NULL;
	char err[256];
	int rc = 0;

	CHECK(mkdtemp(dir) != NULL);
	d = diskcache_open(dir, "0123456789abcdef", 1 << 20, err, sizeof(err),
			   &rc);
	CHECK(d != NULL);
	return d;
}

/* A "remount" on the same disk cache: getattr knows the size at once, and
 * an open serves the disk copy after one GET /version, no fetch. */
static void test_cache_disk_first_after_a_remount(void)
{
	char dir[] = "/tmp/ssfs-test-cache-XXXXXX";
	struct diskcache *d;
	struct fake f;
	struct cache *c;
	int64_t size = -1, mtime = 0;
	char *a, *b;
	int rc = 0;

	fake_init(&f, 1);
	d = new_disk(dir);
	if (!d)
		return;
	c = new_cache(&f, 30, d);
	a = open_text(c, 101, RENDER_FMT_CSV, &rc);
	cache_free(c);
	CHECK_INT(f.get_calls, 1);

	c = new_cache(&f, 30, d);
	cache_peek(c, FAKE_REF(&f, 0), RENDER_FMT_CSV, &size, &mtime);
	CHECK(a && size == (int64_t)strlen(a));
	CHECK_INT(mtime, f.sheets[0].mtime_s);
	CHECK_INT(requests(&f), 1);
	b = open_text(c, 101, RENDER_FMT_CSV, &rc);
	CHECK(a && b && strcmp(a, b) == 0);
	CHECK_INT(f.version_calls, 1);
	CHECK_INT(f.get_calls, 1);
	/* Offline after the remount: the disk copy as it is. */
	cache_free(c);
	c = new_cache(&f, 30, d);
	set_failure(&f, -EIO, 0);
	free(b);
	b = open_text(c, 101, RENDER_FMT_CSV, &rc);
	CHECK_INT(rc, 0);
	CHECK(a && b && strcmp(a, b) == 0);
	free(a);
	free(b);
	cache_free(c);
	/* A report's entries are its own: a sheet's of the same id is never
	 * taken for one (offline either). */
	c = new_cache(&f, 30, d);
	size = -1;
	cache_peek(c, &(struct cache_ref){101, true, 0}, RENDER_FMT_CSV, &size,
		   &mtime);
	CHECK_INT(size, -1);
	CHECK(!cache_held(c, &(struct cache_ref){101, true, 0}));
	a = open_text_ref(c, &(struct cache_ref){101, true, 0}, RENDER_FMT_CSV,
			  &rc);
	CHECK(a == NULL);
	CHECK_INT(rc, -EIO);
	free(a);
	cache_free(c);
	diskcache_close(d);
	fake_release(&f);
	CHECK_INT(system("rm -rf /tmp/ssfs-test-cache-*"), 0);
}

/* The warm-up's fetch: both renderings held after one GET; nothing
 * requested again for what is held; a refused sheet is not asked again
 * until the list shows it modified. */
static void test_cache_prefetch_holds_both_formats_once(void)
{
	struct fake f;
	struct cache *c;
	int64_t mtime;
	int rc;

	fake_init(&f, 2);
	c = new_cache(&f, 30, NULL);
	mtime = f.sheets[0].mtime_s;
	CHECK(!cache_held(c, FAKE_REF(&f, 0)));
	CHECK_INT(cache_prefetch(c, FAKE_REF(&f, 0), API_PRIO_AHEAD, false), 0);
	CHECK(cache_held(c, FAKE_REF(&f, 0)));
	CHECK_INT(f.gets_by_prio[API_PRIO_AHEAD], 1);
	CHECK_INT(cache_prefetch(c, FAKE_REF(&f, 0), API_PRIO_AHEAD, false), 0);
	CHECK_INT(f.get_calls, 1);
	/* Held: a reader within the TTL asks nothing, either format. */
	free(open_text(c, 101, RENDER_FMT_JSON, &rc));
	CHECK_INT(requests(&f), 1);
	/* Refused, then unchanged: asked once; modified: asked again. */
	set_sheet_rc(&f, 102, -EACCES);
	mtime = f.sheets[1].mtime_s;
	CHECK_INT(cache_prefetch(c, FAKE_REF(&f, 1), API_PRIO_AHEAD, false),
		  -EACCES);
	CHECK_INT(cache_prefetch(c, FAKE_REF(&f, 1), API_PRIO_AHEAD, false),
		  -EACCES);
	CHECK(cache_refused(c, FAKE_REF(&f, 1)));
	CHECK_INT(f.get_calls, 2);
	CHECK_INT(cache_prefetch(c,
				 &(struct cache_ref){102, false, mtime + 60},
				 API_PRIO_AHEAD, false),
		  -EACCES);
	CHECK_INT(f.get_calls, 3);
	cache_free(c);
	fake_release(&f);
}

/* A sheet in a workspace or folder comes with no modifiedAt (the children
 * list has none): a refusal met through any path holds on the others, and
 * ends on all of them when the sheet list shows the sheet modified (SPEC
 * §3, §7: one modifiedAt on every path). */
static void test_cache_a_refusal_holds_on_every_path(void)
{
	const struct cache_ref tree = {102, false, 0};
	struct cache_listing *l = NULL;
	struct fake f;
	struct cache *c;
	int64_t mtime;

	fake_init(&f, 2);
	c = new_cache(&f, 30, NULL);
	set_sheet_rc(&f, 102, -EACCES);
	mtime = f.sheets[1].mtime_s;
	/* Refused through the tree before any list was read. */
	CHECK_INT(cache_prefetch(c, &tree, API_PRIO_AHEAD, false), -EACCES);
	CHECK(cache_refused(c, &tree));
	/* The sheet list, read after it, leaves it out too. */
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	cache_put_listing(c, l);
	CHECK(cache_refused(c, FAKE_REF(&f, 1)));
	CHECK(cache_refused(c, &tree));
	CHECK_INT(cache_prefetch(c, &tree, API_PRIO_AHEAD, false), -EACCES);
	CHECK_INT(f.get_calls, 1);
	/* Modified on the server: shown again on every path. */
	fake_lock(&f);
	f.sheets[1].mtime_s = mtime + 60;
	fake_unlock(&f);
	fake_set_time(&f, 1031.0);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	cache_put_listing(c, l);
	CHECK(!cache_refused(c, FAKE_REF(&f, 1)));
	CHECK(!cache_refused(c, &tree));
	/* Refused again through the tree: out of sheets/ as well. */
	CHECK_INT(cache_prefetch(c, &tree, API_PRIO_AHEAD, false), -EACCES);
	CHECK_INT(f.get_calls, 2);
	CHECK(cache_refused(c, FAKE_REF(&f, 1)));
	CHECK_INT(cache_prefetch(c, FAKE_REF(&f, 1), API_PRIO_AHEAD, false),
		  -EACCES);
	CHECK_INT(f.get_calls, 2);
	cache_free(c);
	fake_release(&f);
}

/* At time t, the sheet list as a reader gets it: the list requests made
 * so far. */
static int list_at(struct fake *f, struct cache *c, double t)
{
	struct cache_listing *l = NULL;

	fake_set_time(f, t);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	cache_put_listing(c, l);
	return f->list_calls;
}

/* A remount serves a folder's listing kept on disk, with no request,
 * while it is younger than cache_ttl counted from when it was read, then
 * reads it again; an older one only when the network fails. */
static void test_cache_a_remount_lists_from_disk_within_the_ttl(void)
{
	char dir[] = "/tmp/ssfs-test-cache-XXXXXX";
	struct cache_listing *l = NULL;
	struct diskcache *d;
	struct fake f;
	struct cache *c;

	fake_init(&f, 2);
	d = new_disk(dir);
	if (!d)
		return;
	c = new_cache(&f, 30, d);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	cache_put_listing(c, l);
	cache_free(c);
	CHECK_INT(f.list_calls, 1);
	/* Remounted 20 s later: the list of then, until 30 s after it. */
	fake_set_time(&f, 1020.0);
	c = new_cache(&f, 30, d);
	l = NULL;
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	CHECK(l && l->count == 2 && cache_find_id(l, 102) != NULL);
	cache_put_listing(c, l);
	CHECK_INT(f.list_calls, 1);
	CHECK_INT(list_at(&f, c, 1029.5), 1);
	CHECK_INT(list_at(&f, c, 1030.5), 2);
	cache_free(c);
	/* Remounted past the TTL: read again; offline, the one on disk. */
	c = new_cache(&f, 30, d);
	CHECK_INT(list_at(&f, c, 1070.0), 3);
	cache_free(c);
	fake_set_time(&f, 1200.0);
	set_failure(&f, -EIO, 0);
	c = new_cache(&f, 30, d);
	l = NULL;
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	CHECK(l && l->count == 2);
	cache_put_listing(c, l);
	CHECK_INT(f.list_calls, 4);
	cache_free(c);
	diskcache_close(d);
	fake_release(&f);
	CHECK_INT(system("rm -rf /tmp/ssfs-test-cache-*"), 0);
}

static void test_cache_listing_ttl_and_names(void)
{
	struct cache_listing *l = NULL;
	const struct cache_item *it;
	struct fake f;
	struct cache *c;

	fake_init(&f, 3);
	c = new_cache(&f, 30, NULL);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	CHECK_INT(l ? (long long)l->count : -1, 3);
	it = l ? cache_find_stem(l, "Sheet 2", false) : NULL;
	CHECK(it && it->id == 102);
	CHECK(l && cache_find_id(l, 103) != NULL);
	CHECK(l && cache_find_id(l, 104) == NULL);
	cache_put_listing(c, l);
	CHECK_INT(list_at(&f, c, 1029.0), 1);
	CHECK_INT(list_at(&f, c, 1030.0), 2);
	/* Offline: the list held is kept. */
	set_failure(&f, -EIO, 0);
	fake_set_time(&f, 1070.0);
	CHECK_INT(cache_get_listing(c, API_PRIO_USER, &l), 0);
	CHECK_INT(l ? (long long)l->count : -1, 3);
	cache_put_listing(c, l);
	cache_free(c);
	fake_release(&f);
}

static void test_cache_user_and_drop(void)
{
	struct sbuf sb = SBUF_INIT(1024);
	struct fake f;
	struct cache *c;
	int rc;

	fake_init(&f, 1);
	c = new_cache(&f, 30, NULL);
	CHECK_INT(cache_user_text(c, &sb), 0);
	CHECK_STR(sb.buf, "(unknown)");
	cache_refresh_user(c);
	sbuf_reset(&sb);
	CHECK_INT(cache_user_text(c, &sb), 0);
	CHECK_STR(sb.buf, "Ada Lovelace <ada@example.com>");
	/* SIGHUP: the next open asks again, within the TTL too. */
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	cache_drop_all(c);
	free(open_text(c, 101, RENDER_FMT_CSV, &rc));
	CHECK_INT(f.get_calls, 2);
	sbuf_release(&sb);
	cache_free(c);
	fake_release(&f);
}

int main(void)
{
	T(test_cache_ttl_then_one_version_check);
	T(test_cache_only_an_answer_moves_the_validation_time);
	T(test_cache_single_flight);
	T(test_cache_offline_serves_held_and_backs_off);
	T(test_cache_backoff_only_without_a_usable_answer);
	T(test_cache_refusals_are_not_papered_over);
	T(test_cache_disk_first_after_a_remount);
	T(test_cache_prefetch_holds_both_formats_once);
	T(test_cache_a_refusal_holds_on_every_path);
	T(test_cache_a_remount_lists_from_disk_within_the_ttl);
	T(test_cache_listing_ttl_and_names);
	T(test_cache_user_and_drop);
	return t_run();
}
