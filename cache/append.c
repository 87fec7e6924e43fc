/*
 * Append sessions (cache/save.h, SPEC §8 "Append"): the records of each
 * write() of a .csv opened for appending, parsed as they come (edit/csvin.c
 * in append mode), journaled, then added at the bottom of the sheet (at
 * most 500 rows a request, toBottom) before the write returns. Called from
 * FUSE worker threads; one session is used by one thread at a time (fs/
 * holds its handle's lock), sessions of one sheet take its write lock per
 * batch.
 */
#include "cache/save.h"
#include "cache/cache_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "cache/journal.h"
#include "cache/savelog.h"
#include "edit/csvin.h"
#include "edit/plan.h"
#include "util/log.h"
#include "util/sbuf.h"

struct cache_append {
	struct cache *c;
	struct cache_ref ref;
	char path[512];
	struct model_sheet *model; /* owned: csvin reads its columns */
	struct edit_csvin *in;
	struct sbuf pend; /* the bytes written since the last batch */
	int failed;	  /* a refused record: every later write fails */
	bool sent;	  /* rows went out: read the sheet at close */
};

/*
 * The sheet's columns for the session: the model the cache holds, taken
 * over (the cache renders from its bytes, or fetches the sheet again when
 * a format is missing), else one GET.
 */
static int take_model(struct cache_append *a, struct savelog_entry *e)
{
	struct cache *c = a->c;
	struct api_result res;
	struct sheet_state *s;
	int rc;

	pthread_mutex_lock(&c->lock);
	s = cache_sheet(c, a->ref.id, false, true);
	pthread_mutex_unlock(&c->lock);
	if (!s)
		return -ENOMEM;
	save_busy(c, s, true);
	a->model = s->model;
	s->model = NULL;
	save_busy(c, s, false);
	if (a->model)
		return 0;
	memset(&res, 0, sizeof(res));
	rc = c->src.ops->get_sheet(c->src.ctx, a->ref.id, API_PRIO_USER,
				   &a->model, &res);
	cache_note_result(c, rc, &res);
	if (rc)
		save_failed_res(e, rc, &res);
	return rc;
}

static void append_free(struct cache_append *a)
{
	edit_csvin_free(a->in);
	model_sheet_free(a->model);
	sbuf_release(&a->pend);
	free(a);
}

int cache_append_open(struct cache *c, const struct cache_ref *ref,
		      const char *path, struct cache_append **out)
{
	struct savelog_entry e;
	struct cache_append *a;
	int rc;

	*out = NULL;
	save_entry_init(&e, path);
	rc = save_allowed(c, ref, &e);
	if (rc == -EROFS)
		return rc;
	a = rc ? NULL : calloc(1, sizeof(*a));
	if (!rc && !a)
		rc = -ENOMEM;
	if (rc) {
		save_failed(&e, rc, NULL);
		save_done(c, &e);
		return rc;
	}
	a->c = c;
	a->ref = *ref;
	snprintf(a->path, sizeof(a->path), "%s", path);
	sbuf_init(&a->pend, 0);
	rc = take_model(a, &e);
	if (!rc) {
		a->in = edit_csvin_new(a->model, EDIT_CSV_APPEND);
		if (!a->in)
			rc = -ENOMEM;
	}
	if (rc) {
		save_failed(&e, rc, NULL);
		save_done(c, &e);
		append_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/*
 * After a batch: keep the bytes after the last line end, most often the
 * start of a record that a later write completes, so that its journal
 * holds the whole record (a quoted field with a line end inside may still
 * be cut: the rejected text then starts inside it).
 */
static void keep_tail(struct sbuf *pend)
{
	size_t i = pend->len;

	while (i > 0 && pend->buf[i - 1] != '\n' && pend->buf[i - 1] != '\r')
		i--;
	if (i == pend->len) {
		sbuf_reset(pend);
		return;
	}
	memmove(pend->buf, pend->buf + i, pend->len - i);
	pend->len -= i;
	pend->buf[pend->len] = '\0';
}

/* The records read so far, out of the reader (also after a failure). */
static int drop_records(struct cache_append *a)
{
	return edit_doc_clear(edit_csvin_doc(a->in));
}

/* A refused write or close: its text kept as a rejected file, the status
 * line, the records read dropped. */
static int refuse(struct cache_append *a, int rc, const char *msg)
{
	struct savelog_entry e;

	save_entry_init(&e, a->path);
	save_failed(&e, rc, msg);
	if (a->pend.len)
		save_keep(a->c, a->path, a->pend.buf, a->pend.len, &e);
	save_done(a->c, &e);
	if (a->failed)
		sbuf_reset(&a->pend); /* nothing more is read */
	else
		keep_tail(&a->pend);
	if (drop_records(a))
		return -ENOMEM;
	return rc;
}

/* Send the records read (the text: a->pend) as additions at the bottom. */
static int append_batch(struct cache_append *a)
{
	struct cache *c = a->c;
	struct journal_entry *je = NULL;
	struct edit_plan *plan = NULL;
	char err[EDIT_ERR_MAX] = "";
	struct savelog_entry e;
	struct sheet_state *s;
	int64_t version = 0;
	int rc;

	rc = edit_plan_append(a->model, edit_csvin_doc(a->in), &plan, err);
	if (rc)
		return refuse(a, rc, err[0] ? err : strerror(-rc));
	save_entry_init(&e, a->path);
	e.planned.added = plan->counts.added;
	rc = journal_begin(c->journal, a->path, a->pend.buf, a->pend.len, &je);
	if (rc) {
		/* Not on disk: nothing is sent, the writer gets the errno. */
		edit_plan_free(plan);
		return refuse(a, rc, "the text could not be kept on disk");
	}
	s = save_lock(c, a->ref.id);
	if (s) {
		rc = save_send(c, a->ref.id, plan, &e, &version);
		save_unlock(c, s);
	} else {
		rc = -ENOMEM;
		save_failed(&e, rc, NULL);
	}
	edit_plan_free(plan);
	if (e.requests && s) {
		/* The sheet moved on: the next open reads it again (close
		 * reads it for the sizes). */
		a->sent = true;
		pthread_mutex_lock(&c->lock);
		s->checked_at = 0;
		pthread_mutex_unlock(&c->lock);
		save_tell_size(c, a->ref.id);
	}
	if (!rc) {
		journal_commit(c->journal, je);
	} else if (journal_reject(c->journal, je, e.rejected,
				  sizeof(e.rejected))) {
		e.rejected[0] = '\0';
		log_err("write-back %s: the text stays in the journal",
			a->path);
	}
	save_done(c, &e);
	keep_tail(&a->pend);
	if (drop_records(a) && !rc)
		rc = -ENOMEM;
	return rc;
}

int cache_append_write(struct cache_append *a, const char *buf, size_t len)
{
	char err[EDIT_ERR_MAX] = "";
	int rc;

	rc = sbuf_add(&a->pend, buf, len);
	if (rc)
		return rc;
	if (a->failed)
		return refuse(a, a->failed, "after a refused record");
	rc = edit_csvin_feed(a->in, buf, len, err);
	if (rc) {
		a->failed = rc;
		return refuse(a, rc, err[0] ? err : strerror(-rc));
	}
	if (!edit_csvin_doc(a->in)->nrows)
		return 0; /* no record complete yet */
	return append_batch(a);
}

int cache_append_close(struct cache_append *a)
{
	char err[EDIT_ERR_MAX] = "";
	struct sheet_state *s;
	int rc = 0;

	if (!a)
		return 0;
	if (!a->failed) {
		rc = edit_csvin_finish(a->in, err);
		if (rc)
			rc = refuse(a, rc, err[0] ? err : strerror(-rc));
		else if (edit_csvin_doc(a->in)->nrows)
			rc = append_batch(a);
	}
	if (a->sent) {
		pthread_mutex_lock(&a->c->lock);
		s = cache_sheet(a->c, a->ref.id, false, false);
		pthread_mutex_unlock(&a->c->lock);
		if (s) {
			save_busy(a->c, s, true);
			save_reload(a->c, s);
			save_busy(a->c, s, false);
			save_tell_size(a->c, a->ref.id);
		}
	}
	append_free(a);
	return rc;
}
