#ifndef SSFS_TESTS_UNIT_FAKE_SHEET_SOURCE_H
#define SSFS_TESTS_UNIT_FAKE_SHEET_SOURCE_H

/*
 * A fake struct cache_source that holds one writable sheet (id 101, two
 * text columns "Task" and "Note") and applies row writes to it as
 * Smartsheet would for the cases the write-back tests use: POST with
 * toBottom, toTop or siblingId (+above), PUT of cells by row id, DELETE by
 * ids; the version + 1 per request; a log of every write (op and rows);
 * one injectable failure (the n-th write, with an errorCode, a refId and
 * maybe_applied); a count of writes running at once. Thread-safe: every
 * field under f->mu. Header-only: each test is one executable.
 */

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/model.h"
#include "api/parse.h"
#include "api/rows.h"
#include "cache/source.h"
#include "util/sbuf.h"

#define FS_ID 101
#define FS_MAX_ROWS 4096
#define FS_MAX_LOG 64

struct fs_row {
	int64_t id;
	char cell[2][32]; /* Task, Note; "" empty */
};

struct fs_write {
	enum api_rows_op op;
	size_t nrows;
	int64_t first_id; /* the first row's id (ADD: the new one) */
};

struct fsrc {
	struct cache_source src;
	pthread_mutex_t mu;
	int64_t version;
	struct fs_row rows[FS_MAX_ROWS];
	size_t nrows;
	int64_t next_id;
	double now;
	/* counters and the write log */
	int get_calls, version_calls, writes;
	struct fs_write log[FS_MAX_LOG];
	int running, most_running;
	useconds_t write_delay;
	/* the fail_at-th write (1-based) fails: nothing applied */
	int fail_at, fail_rc, fail_code;
	bool fail_maybe;
	bool may_not; /* may_write says no */
};

static inline int fs_find(const struct fsrc *f, int64_t id)
{
	size_t i;

	for (i = 0; i < f->nrows; i++)
		if (f->rows[i].id == id)
			return (int)i;
	return -1;
}

static inline int fs_get_sheet(void *ctx, int64_t id, enum api_prio prio,
			       struct model_sheet **out,
			       struct api_result *res)
{
	struct fsrc *f = ctx;
	struct sbuf sb = SBUF_INIT(0);
	size_t i;
	int c, rc = 0;

	(void)prio;
	(void)res;
	if (id != FS_ID)
		return -ENOENT;
	pthread_mutex_lock(&f->mu);
	f->get_calls++;
	rc |= sbuf_addf(&sb,
			"{\"id\":%d,\"name\":\"Todo\",\"version\":%" PRId64
			",\"modifiedAt\":\"2024-01-01T00:%02d:00Z\","
			"\"accessLevel\":\"OWNER\",\"columns\":["
			"{\"id\":1,\"index\":0,\"title\":\"Task\",\"type\":"
			"\"TEXT_NUMBER\",\"primary\":true},{\"id\":2,\"index\":"
			"1,\"title\":\"Note\",\"type\":\"TEXT_NUMBER\"}],"
			"\"rows\":[",
			FS_ID, f->version, (int)(f->version % 60));
	for (i = 0; i < f->nrows; i++) {
		rc |= sbuf_addf(&sb, "%s{\"id\":%" PRId64 ",\"rowNumber\":%zu"
				",\"cells\":[", i ? "," : "", f->rows[i].id,
				i + 1);
		for (c = 0; c < 2; c++)
			rc |= f->rows[i].cell[c][0]
				  ? sbuf_addf(&sb, "%s{\"columnId\":%d,\"value\":"
						   "\"%s\"}", c ? "," : "", c + 1,
					      f->rows[i].cell[c])
				  : sbuf_addf(&sb, "%s{\"columnId\":%d}",
					      c ? "," : "", c + 1);
		rc |= sbuf_addstr(&sb, "]}");
	}
	rc |= sbuf_addstr(&sb, "]}");
	pthread_mutex_unlock(&f->mu);
	if (!rc)
		rc = api_parse_sheet(sb.buf, sb.len, out);
	sbuf_release(&sb);
	return rc;
}

static inline int fs_get_version(void *ctx, int64_t id, enum api_prio prio,
				 int64_t *version, struct api_result *res)
{
	struct fsrc *f = ctx;

	(void)prio;
	(void)res;
	if (id != FS_ID)
		return -ENOENT;
	pthread_mutex_lock(&f->mu);
	f->version_calls++;
	*version = f->version;
	pthread_mutex_unlock(&f->mu);
	return 0;
}

/* Caller holds f->mu. The cells of one row object into r. */
static inline int fs_cells(struct fs_row *r, const cJSON *row)
{
	const cJSON *cell;

	cJSON_ArrayForEach(cell, cJSON_GetObjectItem(row, "cells"))
	{
		const cJSON *col = cJSON_GetObjectItem(cell, "columnId");
		const cJSON *v = cJSON_GetObjectItem(cell, "value");
		int c = cJSON_IsNumber(col) ? col->valueint - 1 : -1;

		if (c < 0 || c > 1)
			return -EINVAL;
		if (cJSON_IsString(v))
			snprintf(r->cell[c], sizeof(r->cell[c]), "%s",
				 v->valuestring);
		else if (cJSON_IsNumber(v))
			snprintf(r->cell[c], sizeof(r->cell[c]), "%g",
				 v->valuedouble);
		else
			r->cell[c][0] = '\0';
	}
	return 0;
}

/* Caller holds f->mu. POST: the rows at their one location. */
static inline int fs_add(struct fsrc *f, const cJSON *arr,
			 struct api_rows_answer *ans)
{
	const cJSON *first = cJSON_GetArrayItem(arr, 0), *row;
	const cJSON *sib = cJSON_GetObjectItem(first, "siblingId");
	size_t n = (size_t)cJSON_GetArraySize(arr), at = f->nrows, k = 0;

	if (cJSON_IsTrue(cJSON_GetObjectItem(first, "toTop")))
		at = 0;
	if (sib) {
		int i = fs_find(f, (int64_t)sib->valuedouble);

		if (i < 0)
			return -EINVAL;
		at = (size_t)i +
		     (cJSON_IsTrue(cJSON_GetObjectItem(first, "above")) ? 0 : 1);
	}
	if (f->nrows + n > FS_MAX_ROWS)
		return -EIO;
	ans->ids = calloc(n, sizeof(*ans->ids));
	memmove(&f->rows[at + n], &f->rows[at],
		(f->nrows - at) * sizeof(f->rows[0]));
	cJSON_ArrayForEach(row, arr)
	{
		struct fs_row *r = &f->rows[at + k];

		memset(r, 0, sizeof(*r));
		r->id = f->next_id++;
		if (fs_cells(r, row))
			return -EINVAL; /* the tests never get here */
		ans->ids[k++] = r->id;
	}
	f->nrows += n;
	ans->nids = n;
	return 0;
}

/* Caller holds f->mu. PUT of cells; DELETE of "ids=1,2&...". */
static inline int fs_update(struct fsrc *f, const cJSON *arr,
			    struct api_rows_answer *ans)
{
	const cJSON *row;

	cJSON_ArrayForEach(row, arr)
	{
		const cJSON *id = cJSON_GetObjectItem(row, "id");
		int i = id ? fs_find(f, (int64_t)id->valuedouble) : -1;

		if (i < 0 || fs_cells(&f->rows[i], row))
			return -ENOENT;
		ans->nids++;
	}
	return 0;
}

static inline int fs_delete(struct fsrc *f, const char *q,
			    struct api_rows_answer *ans)
{
	const char *p = q + strlen("ids=");
	char *end;

	while (*p && *p != '&') {
		int i = fs_find(f, strtoll(p, &end, 10));

		if (i < 0)
			return -ENOENT;
		memmove(&f->rows[i], &f->rows[i + 1],
			(f->nrows - (size_t)i - 1) * sizeof(f->rows[0]));
		f->nrows--;
		ans->nids++;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static inline int fs_write_rows(void *ctx, int64_t id, enum api_rows_op op,
				const char *body, size_t len,
				struct api_rows_answer *ans,
				struct api_result *res)
{
	struct fsrc *f = ctx;
	cJSON *arr = NULL;
	int rc = 0, n;

	memset(ans, 0, sizeof(*ans));
	if (id != FS_ID)
		return -ENOENT;
	pthread_mutex_lock(&f->mu);
	n = ++f->writes;
	if (++f->running > f->most_running)
		f->most_running = f->running;
	pthread_mutex_unlock(&f->mu);
	if (f->write_delay)
		usleep(f->write_delay);
	pthread_mutex_lock(&f->mu);
	f->running--;
	if (op != API_ROWS_DELETE) {
		arr = cJSON_ParseWithLength(body, len);
		if (!cJSON_IsArray(arr) || !cJSON_GetArraySize(arr))
			rc = -EINVAL;
	}
	if (n <= FS_MAX_LOG) {
		f->log[n - 1].op = op;
		f->log[n - 1].nrows =
		    arr ? (size_t)cJSON_GetArraySize(arr) : 0;
	}
	if (!rc && n == f->fail_at) {
		rc = f->fail_rc;
		ans->maybe_applied = f->fail_maybe;
		res->error_code = f->fail_code;
		snprintf(res->message, sizeof(res->message), "fake refused");
		snprintf(res->ref_id, sizeof(res->ref_id), "ref-%d", n);
	} else if (!rc) {
		rc = op == API_ROWS_ADD	     ? fs_add(f, arr, ans)
		     : op == API_ROWS_UPDATE ? fs_update(f, arr, ans)
					     : fs_delete(f, body, ans);
		if (!rc)
			ans->version = ++f->version;
	}
	if (!rc && n <= FS_MAX_LOG && ans->nids)
		f->log[n - 1].first_id = ans->ids ? ans->ids[0] : 0;
	if (rc && !ans->maybe_applied) {
		free(ans->ids);
		ans->ids = NULL;
		ans->nids = 0;
	}
	pthread_mutex_unlock(&f->mu);
	cJSON_Delete(arr);
	return rc;
}

static inline bool fs_may_write(void *ctx, char *why, size_t len)
{
	struct fsrc *f = ctx;

	if (f->may_not)
		snprintf(why, len, "the token lacks WRITE_SHEETS");
	return !f->may_not;
}

static inline double fs_mono(void *ctx)
{
	struct fsrc *f = ctx;

	return f->now;
}

static inline double fs_wall(void *ctx)
{
	return 1.7e9 + fs_mono(ctx);
}

static const struct cache_source_ops fs_ops = {
    .get_sheet = fs_get_sheet,
    .get_version = fs_get_version,
    .mono_s = fs_mono,
    .wall_s = fs_wall,
    .write_rows = fs_write_rows,
    .may_write = fs_may_write,
};

/* The sheet at version 5 with n rows "tK","nK" (ids 1001..). */
static inline void fs_init(struct fsrc *f, size_t n)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->src.ops = &fs_ops;
	f->src.ctx = f;
	f->now = 1000.0;
	f->version = 5;
	f->next_id = 1001;
	for (i = 0; i < n && i < FS_MAX_ROWS; i++) {
		f->rows[i].id = f->next_id++;
		snprintf(f->rows[i].cell[0], 32, "t%zu", i + 1);
		snprintf(f->rows[i].cell[1], 32, "n%zu", i + 1);
	}
	f->nrows = i;
	f->next_id = 5001;
}

static inline void fs_release(struct fsrc *f)
{
	pthread_mutex_destroy(&f->mu);
}

#endif /* SSFS_TESTS_UNIT_FAKE_SHEET_SOURCE_H */
