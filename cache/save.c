/*
 * Write-back of a whole new text (cache/save.h, SPEC §8 "Edit"): the
 * per-sheet write lock, the journal, the base model and the version
 * check, the diff, the requests in plan order, the status line, the
 * re-read of the sheet afterwards. Also the pieces cache/append.c shares
 * (cache_i.h: save_*). Called from FUSE worker threads only.
 *
 * A save runs with the sheet's write lock (s->saving: one save or append
 * batch of a sheet at a time) and, for its whole length, as the sheet's
 * busy owner: the model held for the base version is read in place (no
 * copy, no second GET), and readers of the sheet wait for the save and
 * then see its outcome rather than a state half-way through it.
 */
#include "cache/save.h"
#include "cache/cache_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/rows.h"
#include "cache/diskcache.h"
#include "cache/journal.h"
#include "cache/savelog.h"
#include "edit/csvin.h"
#include "edit/diff.h"
#include "edit/jsonin.h"
#include "edit/plan.h"
#include "util/log.h"
#include "util/sbuf.h"

void cache_enable_write(struct cache *c, struct journal *j)
{
	c->journal = j;
}

bool cache_write_enabled(struct cache *c)
{
	return c->journal && c->src.ops->write_rows;
}

struct savelog *cache_savelog(struct cache *c)
{
	return c->savelog;
}

int64_t cache_served_version(struct cache *c, int64_t id)
{
	struct sheet_state *s;
	int64_t v = 0;

	pthread_mutex_lock(&c->lock);
	s = cache_sheet(c, id, false, false);
	if (s && !s->report && s->served > 0)
		v = s->served;
	pthread_mutex_unlock(&c->lock);
	return v;
}

struct sheet_state *save_lock(struct cache *c, int64_t id)
{
	struct sheet_state *s;

	pthread_mutex_lock(&c->lock);
	s = cache_sheet(c, id, false, true);
	while (s && s->saving)
		pthread_cond_wait(&c->cond, &c->lock);
	if (s)
		s->saving = true;
	pthread_mutex_unlock(&c->lock);
	return s;
}

void save_unlock(struct cache *c, struct sheet_state *s)
{
	pthread_mutex_lock(&c->lock);
	s->saving = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void save_busy(struct cache *c, struct sheet_state *s, bool on)
{
	pthread_mutex_lock(&c->lock);
	while (on && s->busy)
		pthread_cond_wait(&c->cond, &c->lock);
	s->busy = on;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void save_entry_init(struct savelog_entry *e, const char *path)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
}

void save_failed(struct savelog_entry *e, int rc, const char *msg)
{
	e->err = rc;
	if (msg && msg[0] && !e->message[0])
		snprintf(e->message, sizeof(e->message), "%s", msg);
}

void save_failed_res(struct savelog_entry *e, int rc,
		     const struct api_result *res)
{
	e->error_code = res->error_code;
	snprintf(e->ref_id, sizeof(e->ref_id), "%s", res->ref_id);
	save_failed(e, rc, res->message[0] ? res->message : strerror(-rc));
}

void save_done(struct cache *c, struct savelog_entry *e)
{
	struct sbuf line;

	e->wall_ms = (int64_t)(cache_wall(c) * 1000.0);
	savelog_add(c->savelog, e);
	sbuf_init(&line, 4096);
	if (savelog_line(e, &line) == 0 && line.buf) {
		if (e->err)
			log_warn("write-back %s", line.buf);
		else
			log_info("write-back %s", line.buf);
	}
	sbuf_release(&line);
}

static enum api_rows_op op_of(enum edit_req_kind k)
{
	switch (k) {
	case EDIT_REQ_ADD:
		return API_ROWS_ADD;
	case EDIT_REQ_DELETE:
		return API_ROWS_DELETE;
	case EDIT_REQ_UPDATE:
	case EDIT_REQ_MOVE:
		break;
	}
	return API_ROWS_UPDATE;
}

/* What request r did, when it landed. */
static void count_landed(struct savelog_rows *l, const struct edit_req *r,
			 const struct api_rows_answer *ans)
{
	switch (r->kind) {
	case EDIT_REQ_UPDATE:
		l->changed += r->nrows;
		break;
	case EDIT_REQ_ADD:
		l->added += r->nrows;
		break;
	case EDIT_REQ_MOVE:
		l->moved += r->nrows;
		break;
	case EDIT_REQ_DELETE:
		l->deleted += ans->nids > r->nrows ? ans->nids : r->nrows;
		break;
	}
}

int save_send(struct cache *c, int64_t id, const struct edit_plan *p,
	      struct savelog_entry *e, int64_t *version)
{
	struct api_rows_answer ans;
	struct api_result res;
	struct sbuf body;
	int64_t *added;
	size_t i, nknown = 0;
	int rc = 0;

	added = calloc(p->nadded + 1, sizeof(*added));
	if (!added)
		return -ENOMEM;
	sbuf_init(&body, 0);
	for (i = 0; i < p->nreqs && !rc; i++) {
		const struct edit_req *r = &p->reqs[i];

		sbuf_reset(&body);
		rc = edit_req_body(p, i, added, nknown, &body);
		if (rc) {
			save_failed(e, rc, "a request could not be built");
			break;
		}
		memset(&ans, 0, sizeof(ans));
		memset(&res, 0, sizeof(res));
		rc = c->src.ops->write_rows(c->src.ctx, id, op_of(r->kind),
					    body.buf ? body.buf : "", body.len,
					    &ans, &res);
		e->requests++;
		if (rc == 0 && r->kind == EDIT_REQ_ADD &&
		    (ans.nids != r->nrows || nknown + ans.nids > p->nadded)) {
			/* The rows are there, their ids are not known. */
			rc = -EIO;
			ans.maybe_applied = true;
			snprintf(res.message, sizeof(res.message),
				 "the answer to an add names %zu rows of %u",
				 ans.nids, r->nrows);
		}
		if (rc == 0) {
			if (r->kind == EDIT_REQ_ADD) {
				memcpy(added + nknown, ans.ids,
				       ans.nids * sizeof(*added));
				nknown += ans.nids;
			}
			count_landed(&e->landed, r, &ans);
			if (ans.version > 0)
				*version = ans.version;
		} else {
			e->unknown = ans.maybe_applied;
			save_failed_res(e, rc, &res);
		}
		api_rows_answer_release(&ans);
	}
	sbuf_release(&body);
	free(added);
	return rc;
}

void save_reload(struct cache *c, struct sheet_state *s)
{
	struct cache_content *ct[FMT_COUNT] = {NULL};
	struct model_sheet *m = NULL;
	struct api_result res;
	int f, rc;

	/* As the busy owner: the old model goes before the new one is read
	 * (both at once doubled the peak of a save); the rendered bytes
	 * stay for the files open until the new ones replace them. */
	pthread_mutex_lock(&c->lock);
	model_sheet_free(s->model);
	s->model = NULL;
	pthread_mutex_unlock(&c->lock);
	memset(&res, 0, sizeof(res));
	rc = c->src.ops->get_sheet(c->src.ctx, s->id, API_PRIO_USER, &m, &res);
	cache_note_result(c, rc, &res);
	for (f = 0; rc == 0 && f < FMT_COUNT; f++) {
		if (!cache_fmt_on(c, f))
			continue;
		rc = cache_render(c, m, (enum render_fmt)f, &ct[f]);
		if (rc == 0)
			(void)cache_store_on_disk(c, s->id, false,
						  (enum render_fmt)f,
						  ct[f]);
	}
	pthread_mutex_lock(&c->lock);
	cache_sheet_clear(s);
	if (rc == 0) {
		s->model = m;
		s->version = m->version;
		s->checked_at = cache_mono(c);
		for (f = 0; f < FMT_COUNT; f++)
			s->content[f] = ct[f];
		m = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		/* Nothing held: the next reader fetches the sheet. */
		for (f = 0; f < FMT_COUNT; f++)
			cache_content_put(ct[f]);
		model_sheet_free(m);
		if (c->opts.disk)
			diskcache_drop(c->opts.disk, s->id);
		log_warn("sheet %lld: read after write-back failed (%s)",
			 (long long)s->id, strerror(-rc));
	}
}

void save_tell_size(struct cache *c, int64_t id)
{
	if (c->hooks.size_changed)
		c->hooks.size_changed(c->hooks.ctx, id);
}

/* What a save reads its text against, for cache_save. */
struct save_base {
	const struct model_sheet *model; /* s->model or own */
	struct model_sheet *own;
	struct edit_csvin *csv;
	struct edit_jsonin *json;
	struct edit_doc *doc;
	struct edit_plan *plan;
	char err[EDIT_ERR_MAX];
};

static void base_release(struct save_base *b)
{
	edit_plan_free(b->plan);
	edit_csvin_free(b->csv);
	edit_jsonin_free(b->json);
	model_sheet_free(b->own);
}

/*
 * As s's busy owner: the model of version base (0: the version held now)
 * and the version check (SPEC §8 step 2). The model held for the base is
 * used as it is after one GET /version; otherwise one GET of the sheet is
 * both the check and the base. -ESTALE when the sheet moved past base.
 */
static int get_base(struct cache *c, struct sheet_state *s, int64_t base,
		    struct save_base *b, struct savelog_entry *e)
{
	struct api_result res;
	int64_t now = -1;
	int rc;

	if (base <= 0 && s->version > 0)
		base = s->version;
	if (base > 0 && s->version > base) {
		/* A newer version was fetched since: moved, no need to ask. */
		save_failed(e, -ESTALE, "the sheet changed since the file was "
					"read");
		return -ESTALE;
	}
	memset(&res, 0, sizeof(res));
	if (base > 0 && s->model && s->model->version == base) {
		rc = c->src.ops->get_version(c->src.ctx, s->id, API_PRIO_USER,
					     &now, &res);
		b->model = s->model;
	} else {
		rc = c->src.ops->get_sheet(c->src.ctx, s->id, API_PRIO_USER,
					   &b->own, &res);
		b->model = b->own;
		if (rc == 0)
			now = b->own->version;
	}
	e->requests++;
	cache_note_result(c, rc, &res);
	if (rc) {
		save_failed_res(e, rc, &res);
		return rc;
	}
	if (base > 0 && now != base) {
		save_failed(e, -ESTALE, "the sheet changed since the file was "
					"read");
		return -ESTALE;
	}
	return 0;
}

/* Steps 1 and 3: the text parsed against b->model, then the diff. */
static int parse_diff(struct cache *c, enum render_fmt fmt, const char *text,
		      size_t len, struct save_base *b, struct savelog_entry *e)
{
	int rc;

	if (fmt == RENDER_FMT_CSV) {
		b->csv = edit_csvin_new(b->model, EDIT_CSV_EDIT);
		if (!b->csv)
			return -ENOMEM;
		rc = edit_csvin_feed(b->csv, text, len, b->err);
		if (!rc)
			rc = edit_csvin_finish(b->csv, b->err);
		b->doc = edit_csvin_doc(b->csv);
	} else if (fmt == RENDER_FMT_JSON) {
		b->json = edit_jsonin_new(b->model);
		if (!b->json)
			return -ENOMEM;
		rc = edit_jsonin_feed(b->json, text, len, b->err);
		if (!rc)
			rc = edit_jsonin_finish(b->json, b->err);
		b->doc = edit_jsonin_doc(b->json);
	} else {
		snprintf(b->err, sizeof(b->err), "this file cannot be edited");
		rc = -EINVAL;
	}
	if (!rc)
		rc = edit_diff(b->model, b->doc, &c->opts.render, &b->plan,
			       b->err);
	if (rc) {
		save_failed(e, rc, b->err[0] ? b->err : strerror(-rc));
		return rc;
	}
	e->planned.added = b->plan->counts.added;
	e->planned.changed = b->plan->counts.changed;
	e->planned.moved = b->plan->counts.moved;
	e->planned.deleted = b->plan->counts.deleted;
	return 0;
}

/* A text no save was begun for: kept as a rejected file all the same. */
void save_keep(struct cache *c, const char *path, const char *text,
	       size_t len, struct savelog_entry *e)
{
	int rc = journal_keep(c->journal, path, text, len, e->rejected,
			      sizeof(e->rejected));

	if (rc) {
		e->rejected[0] = '\0';
		log_err("write-back %s: the text could not be kept (%s)", path,
			strerror(-rc));
	}
}

/* EROFS or EACCES before anything: 0 when a save may start. */
int save_allowed(struct cache *c, const struct cache_ref *ref,
		 struct savelog_entry *e)
{
	char why[256] = "";

	if (!cache_write_enabled(c))
		return -EROFS;
	if (ref->report) {
		save_failed(e, -EACCES, "a report cannot be written");
		return -EACCES;
	}
	if (c->src.ops->may_write &&
	    !c->src.ops->may_write(c->src.ctx, why, sizeof(why))) {
		save_failed(e, -EACCES,
			    why[0] ? why : "the credential may not write");
		return -EACCES;
	}
	return 0;
}

int cache_save(struct cache *c, const struct cache_ref *ref,
	       enum render_fmt fmt, const char *path, int64_t base,
	       const char *text, size_t len)
{
	struct journal_entry *je = NULL;
	struct savelog_entry e;
	struct save_base b;
	struct sheet_state *s;
	int64_t version = 0;
	bool reloaded = false;
	unsigned checks;
	int rc;

	memset(&b, 0, sizeof(b));
	save_entry_init(&e, path);
	rc = save_allowed(c, ref, &e);
	if (rc == -EROFS)
		return rc;
	if (rc) {
		save_keep(c, path, text, len, &e);
		save_done(c, &e);
		return rc;
	}
	rc = journal_begin(c->journal, path, text, len, &je);
	if (rc) {
		/* Not on disk: nothing may be sent. The caller still has
		 * the text. */
		save_failed(&e, rc, "the text could not be kept on disk");
		save_done(c, &e);
		return rc;
	}
	s = save_lock(c, ref->id);
	if (!s) {
		rc = -ENOMEM;
		save_failed(&e, rc, NULL);
		goto out;
	}
	save_busy(c, s, true);
	rc = get_base(c, s, base, &b, &e);
	checks = e.requests;
	if (!rc)
		rc = parse_diff(c, fmt, text, len, &b, &e);
	if (!rc && b.plan->nreqs)
		rc = save_send(c, ref->id, b.plan, &e, &version);
	/* Before the re-read frees the model the readers borrow. */
	base_release(&b);
	if (e.requests > checks) {
		/* A write went out: read what the sheet holds now. */
		save_reload(c, s);
		reloaded = true;
	} else if (rc == -ESTALE) {
		pthread_mutex_lock(&c->lock);
		s->checked_at = 0; /* the next open looks */
		pthread_mutex_unlock(&c->lock);
	}
	if (!rc) {
		/* The text saved is what the file now holds: the base of a
		 * further save from the same writer. */
		pthread_mutex_lock(&c->lock);
		s->served = version > 0 ? version
					: s->version > 0 ? s->version : s->served;
		pthread_mutex_unlock(&c->lock);
	}
	save_busy(c, s, false);
	save_unlock(c, s);
	if (reloaded)
		save_tell_size(c, ref->id);
out:
	if (!rc) {
		journal_commit(c->journal, je);
	} else if (journal_reject(c->journal, je, e.rejected,
				  sizeof(e.rejected))) {
		e.rejected[0] = '\0';
		log_err("write-back %s: the text stays in the journal", path);
	}
	save_done(c, &e);
	return rc;
}
