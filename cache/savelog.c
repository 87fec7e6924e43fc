/*
 * The .status text (cache/savelog.h): a ring of the last write-back
 * results and their one-line form. Added to by the FUSE threads that
 * save or append, read by the open of .status; one mutex.
 */
#include "cache/savelog.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct savelog {
	pthread_mutex_t lock;
	struct savelog_entry ring[SAVELOG_KEEP];
	size_t next, count;
};

struct savelog *savelog_new(void)
{
	struct savelog *l = calloc(1, sizeof(*l));

	if (l)
		pthread_mutex_init(&l->lock, NULL);
	return l;
}

void savelog_free(struct savelog *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void savelog_add(struct savelog *l, const struct savelog_entry *e)
{
	pthread_mutex_lock(&l->lock);
	l->ring[l->next] = *e;
	l->next = (l->next + 1) % SAVELOG_KEEP;
	if (l->count < SAVELOG_KEEP)
		l->count++;
	pthread_mutex_unlock(&l->lock);
}

/* EINVAL, EACCES, ...: the name a shell user looks up. */
static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case ESTALE: return "ESTALE";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EROFS: return "EROFS";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EFBIG: return "EFBIG";
	default: return "error";
	}
}

static int rows(struct sbuf *out, const struct savelog_rows *r)
{
	return sbuf_addf(out, "%zu added, %zu changed, %zu moved, %zu deleted",
			 r->added, r->changed, r->moved, r->deleted);
}

static bool same_rows(const struct savelog_rows *a,
		      const struct savelog_rows *b)
{
	return a->added == b->added && a->changed == b->changed &&
	       a->moved == b->moved && a->deleted == b->deleted;
}

int savelog_line(const struct savelog_entry *e, struct sbuf *out)
{
	time_t t = (time_t)(e->wall_ms / 1000);
	char when[32];
	struct tm tm;
	int rc;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = sbuf_addf(out, "%s %s: ", when, e->path);
	if (!rc)
		rc = rows(out, &e->landed);
	if (!rc)
		rc = sbuf_addf(out, "; %u request%s; ", e->requests,
			       e->requests == 1 ? "" : "s");
	if (rc || !e->err)
		return rc ? rc : sbuf_addstr(out, "ok");
	rc = sbuf_addf(out, "failed (%s)", errno_name(-e->err));
	if (!rc && e->error_code)
		rc = sbuf_addf(out, ": Smartsheet errorCode %d", e->error_code);
	if (!rc && e->message[0])
		rc = sbuf_addf(out, ": %s", e->message);
	if (!rc && e->ref_id[0])
		rc = sbuf_addf(out, " (refId %s)", e->ref_id);
	if (!rc && e->unknown)
		rc = sbuf_addstr(out, "; whether the last request landed is "
				      "not known: compare the file with the "
				      "rejected text");
	else if (!rc && !same_rows(&e->landed, &e->planned)) {
		rc = sbuf_addstr(out, "; the save meant ");
		if (!rc)
			rc = rows(out, &e->planned);
	}
	if (!rc && e->rejected[0])
		rc = sbuf_addf(out, "; the text is kept as .rejected/%s",
			       e->rejected);
	return rc;
}

int savelog_render(struct savelog *l, struct sbuf *out)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->count && !rc; i++) {
		size_t k = (l->next + SAVELOG_KEEP - 1 - i) % SAVELOG_KEEP;

		rc = savelog_line(&l->ring[k], out);
		if (!rc)
			rc = sbuf_addch(out, '\n');
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}
