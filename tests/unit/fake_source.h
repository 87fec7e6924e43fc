#ifndef SSFS_TESTS_UNIT_FAKE_SOURCE_H
#define SSFS_TESTS_UNIT_FAKE_SOURCE_H

/*
 * A fake struct cache_source for the cache and prefetch unit tests: a
 * handful of one-row sheets held in memory, request counters, a clock the
 * test moves by hand, injectable failures, a get_sheet that can be held
 * until the test releases it (single-flight), and a request window that
 * blocks speculative requests until released or cancelled. Thread-safe:
 * every field under f->mu. Header-only: each test is one executable.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/model.h"
#include "api/parse.h"
#include "cache/source.h"

#define FAKE_MAX_SHEETS 16

/* The file of a sheet of the fake, as fs/ would name it. */
#define FAKE_REF(f, i)                                                       \
	(&(struct cache_ref){(f)->sheets[i].id, false, (f)->sheets[i].mtime_s})

struct fake_sheet {
	int64_t id;
	int64_t version;
	int64_t mtime_s; /* modifiedAt, Unix seconds */
	char name[32];
	int rc; /* 0, or what every request about this sheet fails with */
};

struct fake {
	struct cache_source src;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	double now; /* the monotonic clock, seconds */
	struct fake_sheet sheets[FAKE_MAX_SHEETS];
	int nsheets;
	/* counters */
	int list_calls, get_calls, version_calls, user_calls, room_calls;
	int gets_by_prio[3];
	int64_t last_get_id;
	/* every request fails with fail_rc (status fail_status) when set */
	int fail_rc;
	long fail_status;
	/* get_sheet waits while hold_get; in_get counts threads inside */
	bool hold_get;
	int in_get;
	/* wait_room blocks speculative priorities while hold_room */
	bool hold_room;
	bool cancelled;
	int bg_rate;
};

static inline void fake_lock(struct fake *f)
{
	pthread_mutex_lock(&f->mu);
}

static inline void fake_unlock(struct fake *f)
{
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static inline struct fake_sheet *fake_find(struct fake *f, int64_t id)
{
	int i;

	for (i = 0; i < f->nsheets; i++)
		if (f->sheets[i].id == id)
			return &f->sheets[i];
	return NULL;
}

/* Caller holds f->mu. Fills res as a failed request would. */
static inline int fake_fail(struct fake *f, const struct fake_sheet *s,
			    struct api_result *res)
{
	int rc = f->fail_rc ? f->fail_rc : s ? s->rc : 0;

	if (!rc)
		return 0;
	if (res) {
		res->status = f->fail_rc ? f->fail_status
			      : rc == -ENOENT ? 404
			      : rc == -EACCES ? 403
					      : 500;
		snprintf(res->message, sizeof(res->message), "fake: %s",
			 strerror(-rc));
	}
	return rc;
}

static inline void fake_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The sheet list; every other folder is empty. */
static inline int fake_list_dir(void *ctx, enum cache_dir dir, int64_t dir_id,
				enum api_prio prio,
				struct model_sheet_list *out,
				struct api_result *res)
{
	struct fake *f = ctx;
	char when[32];
	int i, rc;

	(void)prio;
	(void)dir_id;
	fake_lock(f);
	f->list_calls++;
	rc = fake_fail(f, NULL, res);
	if (!rc && dir != CACHE_DIR_SHEETS) {
		out->items = NULL;
		out->count = 0;
		fake_unlock(f);
		return 0;
	}
	if (!rc) {
		out->items = calloc((size_t)f->nsheets + 1, sizeof(*out->items));
		out->count = 0;
		for (i = 0; out->items && i < f->nsheets; i++) {
			struct model_sheet_info *it = &out->items[i];

			it->id = f->sheets[i].id;
			it->name = strdup(f->sheets[i].name);
			fake_time(f->sheets[i].mtime_s, when);
			it->modified_at = strdup(when);
			it->version = -1;
			out->count++;
		}
		rc = out->items ? 0 : -ENOMEM;
	}
	fake_unlock(f);
	return rc;
}

static inline int fake_get_sheet(void *ctx, int64_t id,
				 enum api_prio prio,
				 struct model_sheet **out,
				 struct api_result *res)
{
	struct fake *f = ctx;
	struct fake_sheet *s;
	char json[512], when[32];
	int rc;

	fake_lock(f);
	f->get_calls++;
	f->gets_by_prio[prio]++;
	f->last_get_id = id;
	f->in_get++;
	pthread_cond_broadcast(&f->cv);
	while (f->hold_get)
		pthread_cond_wait(&f->cv, &f->mu);
	f->in_get--;
	s = fake_find(f, id);
	rc = s ? fake_fail(f, s, res) : -ENOENT;
	if (!rc) {
		fake_time(s->mtime_s, when);
		snprintf(json, sizeof(json),
			 "{\"id\":%" PRId64 ",\"name\":\"%s\",\"version\":"
			 "%" PRId64 ",\"modifiedAt\":\"%s\",\"columns\":[{\"id\":"
			 "1,\"title\":\"Task\",\"type\":\"TEXT_NUMBER\","
			 "\"primary\":true}],\"rows\":[{\"id\":11,\"rowNumber\":"
			 "1,\"cells\":[{\"columnId\":1,\"value\":\"v%" PRId64
			 "\"}]}]}",
			 s->id, s->name, s->version, when, s->version);
	}
	fake_unlock(f);
	if (rc)
		return rc;
	return api_parse_sheet(json, strlen(json), out);
}

/* No reports: 404, or the failure every request gets. */
static inline int fake_get_report(void *ctx, int64_t id, enum api_prio prio,
				  struct model_sheet **out,
				  struct api_result *res)
{
	struct fake *f = ctx;
	int rc;

	(void)id;
	(void)prio;
	(void)out;
	fake_lock(f);
	rc = fake_fail(f, NULL, res);
	fake_unlock(f);
	return rc ? rc : -ENOENT;
}

static inline int fake_get_version(void *ctx, int64_t id,
				   enum api_prio prio, int64_t *version,
				   struct api_result *res)
{
	struct fake *f = ctx;
	struct fake_sheet *s;
	int rc;

	(void)prio;
	fake_lock(f);
	f->version_calls++;
	s = fake_find(f, id);
	rc = s ? fake_fail(f, s, res) : -ENOENT;
	if (!rc)
		*version = s->version;
	fake_unlock(f);
	return rc;
}

static inline int fake_get_user(void *ctx, struct model_user *out,
				struct api_result *res)
{
	struct fake *f = ctx;
	int rc;

	fake_lock(f);
	f->user_calls++;
	rc = fake_fail(f, NULL, res);
	fake_unlock(f);
	if (rc)
		return rc;
	out->name = strdup("Ada Lovelace");
	out->email = strdup("ada@example.com");
	return 0;
}

static inline int fake_wait_room(void *ctx, enum api_prio prio)
{
	struct fake *f = ctx;
	int rc = 0;

	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10; /* a test that never cancels fails, not hangs */
	fake_lock(f);
	f->room_calls++;
	while (prio != API_PRIO_USER && f->hold_room && !f->cancelled &&
	       pthread_cond_timedwait(&f->cv, &f->mu, &dl) == 0)
		;
	if (prio != API_PRIO_USER && f->cancelled)
		rc = -ECANCELED;
	fake_unlock(f);
	return rc;
}

static inline void fake_set_background_rate(void *ctx, int per_min)
{
	struct fake *f = ctx;

	fake_lock(f);
	f->bg_rate = per_min;
	fake_unlock(f);
}

static inline void fake_cancel(void *ctx, bool on)
{
	struct fake *f = ctx;

	fake_lock(f);
	f->cancelled = on;
	fake_unlock(f);
}

static inline int fake_window_count(void *ctx)
{
	(void)ctx;
	return -1;
}

static inline double fake_mono(void *ctx)
{
	struct fake *f = ctx;
	double t;

	fake_lock(f);
	t = f->now;
	fake_unlock(f);
	return t;
}

static inline double fake_wall(void *ctx)
{
	return 1.7e9 + fake_mono(ctx);
}

static const struct cache_source_ops fake_ops = {
    .list_dir = fake_list_dir,
    .get_sheet = fake_get_sheet,
    .get_report = fake_get_report,
    .get_version = fake_get_version,
    .get_user = fake_get_user,
    .wait_room = fake_wait_room,
    .set_background_rate = fake_set_background_rate,
    .cancel_speculative = fake_cancel,
    .window_count = fake_window_count,
    .mono_s = fake_mono,
    .wall_s = fake_wall,
};

/* n sheets "Sheet 1".."Sheet n", ids 101.., version 1, at time 1000. */
static inline void fake_init(struct fake *f, int n)
{
	int i;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->src.ops = &fake_ops;
	f->src.ctx = f;
	f->now = 1000.0;
	for (i = 0; i < n && i < FAKE_MAX_SHEETS; i++) {
		f->sheets[i].id = 101 + i;
		f->sheets[i].version = 1;
		f->sheets[i].mtime_s = 1700000000 + i;
		snprintf(f->sheets[i].name, sizeof(f->sheets[i].name),
			 "Sheet %d", i + 1);
	}
	f->nsheets = i;
}

static inline void fake_release(struct fake *f)
{
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

static inline void fake_set_time(struct fake *f, double t)
{
	fake_lock(f);
	f->now = t;
	fake_unlock(f);
}

/* The sheet changes on the server: version + 1, a later modifiedAt. */
static inline void fake_bump(struct fake *f, int64_t id)
{
	struct fake_sheet *s;

	fake_lock(f);
	s = fake_find(f, id);
	if (s) {
		s->version++;
		s->mtime_s += 60;
	}
	fake_unlock(f);
}

/* Wait (real time, at most 10 s) until pred(f) holds under f->mu;
 * whether it did. Every change of the fake's state wakes the waiter. */
static inline bool fake_wait(struct fake *f, bool (*pred)(const struct fake *))
{
	struct timespec dl;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&f->mu);
	while (!pred(f) && pthread_cond_timedwait(&f->cv, &f->mu, &dl) == 0)
		;
	ok = pred(f);
	pthread_mutex_unlock(&f->mu);
	return ok;
}

#endif /* SSFS_TESTS_UNIT_FAKE_SOURCE_H */
