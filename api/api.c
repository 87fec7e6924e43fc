/*
 * The Smartsheet endpoints smartsheetfs reads, over http_ (transport,
 * retries, errno mapping) and auth_ (the bearer token): sheets, the
 * workspace tree and reports (SPEC §7). Each public call logs its failure
 * once, here: the method, the path without the base URL (never the token),
 * the HTTP status, Smartsheet's errorCode, refId and message. Called from
 * FUSE workers, prefetch workers and the main thread.
 */
#include "api/api.h"
#include "api/api_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/feed.h"
#include "api/parse.h"
#include "api/report.h"
#include "api/sheet_parser.h"
#include "auth/auth.h"
#include "http/http.h"
#include "util/log.h"
#include "util/sbuf.h"

#define API_PAGE_SIZE 1000
#define API_MAX_PAGES 10000
#define API_MAX_URL_BYTES 4096
/* Token paging: items asked for a page (smartsheet-api.md §4.0 hears of a
 * 100..1000 range), and the longest lastKey we send on. */
#define API_MAX_ITEMS 1000
#define API_MAX_KEY_BYTES 2048
/* Smartsheet's most rows in one page of a report. */
#define API_REPORT_PAGE_ROWS 10000
/* Reads of a report that changed between its pages, before giving up. */
#define API_REPORT_READS 2
/* A DELETE of 400 row ids (SPEC §8) needs about 7 KiB of URL. */
#define API_MAX_SEND_URL_BYTES 16384

struct api {
	char *base;
	struct http *http;
	struct auth *auth;
};

struct api *api_new(const char *base, struct http *http, struct auth *auth)
{
	struct api *a;

	if (!base || !http || !auth)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->base = strdup(base);
	if (!a->base) {
		free(a);
		return NULL;
	}
	a->http = http;
	a->auth = auth;
	return a;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	free(a->base);
	free(a);
}

static enum http_priority to_http_prio(enum api_prio p)
{
	switch (p) {
	case API_PRIO_AHEAD:
		return HTTP_PRIO_AHEAD;
	case API_PRIO_BACKGROUND:
		return HTTP_PRIO_BACKGROUND;
	default:
		return HTTP_PRIO_USER;
	}
}

struct auth *api_auth(struct api *a)
{
	return a->auth;
}

void api_put_result(struct api_result *res, const struct http_result *r)
{
	if (!res)
		return;
	res->status = r->status;
	res->error_code = r->error_code;
	snprintf(res->message, sizeof(res->message), "%s", r->message);
	snprintf(res->ref_id, sizeof(res->ref_id), "%s", r->ref_id);
}

static void put_result(struct api_result *res, const struct http_result *r)
{
	api_put_result(res, r);
}

void api_log_failure(const char *method, const char *path, int rc,
		     const struct http_result *r, const char *what)
{
	struct sbuf sb = SBUF_INIT(1024);
	int prio = LOG_ERR;
	int e = 0;

	/* A request cancelled at unmount failed nobody: no error to show. */
	if (rc == -ECANCELED)
		prio = LOG_DEBUG;
	else if (rc == -ENOENT || r->status == 404)
		prio = LOG_WARNING;
	if (r->status)
		e |= sbuf_addf(&sb, "HTTP %ld", r->status);
	else
		e |= sbuf_addstr(&sb, "no answer");
	if (r->error_code)
		e |= sbuf_addf(&sb, ", errorCode %d", r->error_code);
	if (r->ref_id[0])
		e |= sbuf_addf(&sb, ", refId %s", r->ref_id);
	if (what)
		e |= sbuf_addf(&sb, ": %s", what);
	else if (r->message[0])
		e |= sbuf_addf(&sb, ": %s", r->message);
	else
		e |= sbuf_addf(&sb, ": %s", strerror(-rc));
	log_msg(prio, "%s %s: %s", method, path,
		e ? "(out of memory)" : sb.buf);
	sbuf_release(&sb);
}

/* "GET /sheets/1: HTTP 500, errorCode 4000, refId abc: message" */
static void log_failure(const char *path, int rc, const struct http_result *r,
			const char *what)
{
	api_log_failure("GET", path, rc, r, what);
}

/* The API's "your token is not (or no longer) good" answers. */
static bool token_rejected(int rc, const struct http_result *r)
{
	return rc == -EACCES && r->status == 401 &&
	       (r->error_code == 1001 || r->error_code == 1002 ||
		r->error_code == 1003);
}

int api_send(struct api *a, const struct http_request *tmpl, const char *path,
	     const char *query, const struct http_sink *sink, char **body,
	     size_t *len, struct http_result *r)
{
	struct http_request req = *tmpl;
	struct sbuf url = SBUF_INIT(API_MAX_SEND_URL_BYTES);
	char *bearer = NULL;
	bool maybe_applied = false;
	int rc, arc, attempt;

	memset(r, 0, sizeof(*r));
	rc = sbuf_addf(&url, "%s%s%s%s", a->base, path, query ? "?" : "",
		       query ? query : "");
	if (rc) {
		snprintf(r->message, sizeof(r->message), "%s",
			 rc == -ENOMEM ? "out of memory" : "URL too long");
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	req.url = url.buf;
	/*
	 * Up to two renewals: the first may only adopt a token another
	 * process refreshed, which can itself be stale by now.
	 */
	for (attempt = 0; attempt < 3; attempt++) {
		rc = auth_get_bearer(a->auth, &bearer);
		if (rc) {
			memset(r, 0, sizeof(*r));
			snprintf(r->message, sizeof(r->message), "%s",
				 rc == -ENOMEM ? "out of memory"
				 : rc == -EACCES
				     ? "no usable access token"
				     : "the access token needs a "
				       "refresh and the token "
				       "endpoint cannot be reached");
			goto out;
		}
		req.bearer = bearer;
		if (sink)
			rc = http_perform(a->http, &req, sink, r);
		else
			rc = http_fetch(a->http, &req, body, len, r);
		maybe_applied |= r->maybe_applied;
		if (rc == 0) {
			auth_accepted(a->auth);
			goto out;
		}
		if (attempt == 2 || !token_rejected(rc, r))
			goto out;
		arc = auth_rejected(a->auth, bearer);
		if (arc == -EIO || arc == -ETIMEDOUT) {
			/* The renewal could not reach the token endpoint: a
			 * network failure, not a refused credential. */
			snprintf(r->message, sizeof(r->message),
				 "the access token expired and the token "
				 "endpoint cannot be reached to renew it");
			rc = arc;
		}
		if (arc)
			goto out;
		auth_bearer_free(bearer);
		bearer = NULL;
	}
out:
	r->maybe_applied = rc && maybe_applied;
	auth_bearer_free(bearer);
	sbuf_release(&url);
	return rc;
}

/* One GET (api_send). Does not log: the callers do. */
static int get(struct api *a, const char *path, const char *query,
	       enum api_prio prio, const struct http_sink *sink,
	       char **body, size_t *len, struct http_result *r)
{
	struct http_request req = {.method = HTTP_GET,
				   .priority = to_http_prio(prio)};

	return api_send(a, &req, path, query, sink, body, len, r);
}

struct id_pos {
	int64_t id;
	enum model_kind kind;
	size_t pos;
};

static int id_pos_cmp(const void *x, const void *y)
{
	const struct id_pos *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/*
 * Paging over a list that changes meanwhile can show an item on two pages:
 * keep its first appearance (an item is its kind and id). Best effort
 * (skipped without memory).
 */
static void dedupe(struct model_sheet_list *l)
{
	struct id_pos *v = NULL;
	unsigned char *drop = NULL;
	size_t i, o;

	if (l->count < 2)
		return;
	v = malloc(l->count * sizeof(*v));
	drop = calloc(l->count, 1);
	if (!v || !drop)
		goto out;
	for (i = 0; i < l->count; i++) {
		v[i].id = l->items[i].id;
		v[i].kind = l->items[i].kind;
		v[i].pos = i;
	}
	qsort(v, l->count, sizeof(*v), id_pos_cmp);
	for (i = 1; i < l->count; i++)
		if (v[i].id == v[i - 1].id && v[i].kind == v[i - 1].kind)
			drop[v[i].pos] = 1;
	for (i = 0, o = 0; i < l->count; i++) {
		if (!drop[i])
			l->items[o++] = l->items[i];
		else
			model_sheet_info_release(&l->items[i]);
	}
	l->count = o;
out:
	free(v);
	free(drop);
}

/* What a parse failure is called in the log. */
static const char *parse_failure(int rc)
{
	return rc == -ENOMEM ? "out of memory" : "malformed answer";
}

/* After the pages of a list (page: the one after the last read): past
 * API_MAX_PAGES is -EIO; else acc's entries, each once, go to *out. */
static int hand_over(const char *path, int64_t page,
		     struct model_sheet_list *acc, struct model_sheet_list *out,
		     const struct http_result *r)
{
	if (page > API_MAX_PAGES) {
		log_failure(path, -EIO, r, "more than 10000 pages");
		return -EIO;
	}
	dedupe(acc);
	*out = *acc;
	acc->items = NULL;
	acc->count = 0;
	return 0;
}

/* GET path (/sheets, /reports), every page of an IndexResult; its items
 * are of kind. */
static int list_offset(struct api *a, const char *path, enum model_kind kind,
		       enum api_prio prio, struct model_sheet_list *out,
		       struct api_result *res)
{
	struct model_sheet_list acc = {NULL, 0};
	struct http_result hr = {0}, *r = &hr;
	int64_t page, got_page = 0, total = 0;
	char query[64];
	char *body = NULL;
	size_t len = 0, before, i;
	int rc = 0;

	for (page = 1; page <= API_MAX_PAGES; page++) {
		/* includeAll asks for everything in one answer; a server
		 * that pages anyway says so in totalPages, and we go on. */
		snprintf(query, sizeof(query),
			 "includeAll=true&page=%" PRId64 "&pageSize=%d", page,
			 API_PAGE_SIZE);
		rc = get(a, path, query, prio, NULL, &body, &len, r);
		if (rc) {
			log_failure(path, rc, r, NULL);
			goto out;
		}
		before = acc.count;
		rc = api_parse_sheet_list_page(body, len, &acc, &got_page,
					       &total);
		free(body);
		body = NULL;
		if (rc) {
			log_failure(path, rc, r, parse_failure(rc));
			goto out;
		}
		for (i = before; i < acc.count; i++)
			acc.items[i].kind = kind;
		/* totalPages may change while we page; -1 means unknown. */
		if (acc.count == before || (total >= 0 && page >= total))
			break;
	}
	rc = hand_over(path, page, &acc, out, r);
out:
	model_sheet_list_release(&acc);
	put_result(res, r);
	return rc;
}

int api_list_sheets(struct api *a, enum api_prio prio,
		    struct model_sheet_list *out, struct api_result *res)
{
	return list_offset(a, "/sheets", MODEL_KIND_SHEET, prio, out, res);
}

int api_list_reports(struct api *a, enum api_prio prio,
		     struct model_sheet_list *out, struct api_result *res)
{
	return list_offset(a, "/reports", MODEL_KIND_REPORT, prio, out, res);
}

/* query and, after the first page, "&lastKey=" key, into buf. */
static int token_query(char *buf, size_t size, const char *query,
		       const char *key)
{
	char *esc = NULL;
	int n;

	if (key) {
		esc = http_escape(key);
		if (!esc)
			return -ENOMEM;
		if (strlen(esc) > API_MAX_KEY_BYTES) {
			free(esc);
			return -EIO;
		}
	}
	n = snprintf(buf, size, "%s%s%s", query, esc ? "&lastKey=" : "",
		     esc ? esc : "");
	free(esc);
	return n < 0 || (size_t)n >= size ? -EIO : 0;
}

/*
 * GET path?query, every page of a list paged by lastKey: follow lastKey
 * until an answer has none, whatever a page holds (a page may be short, or
 * empty, and still have one). children: the items carry resourceType.
 */
static int list_token(struct api *a, const char *path, const char *query,
		      bool children, enum api_prio prio,
		      struct model_sheet_list *out, struct api_result *res)
{
	struct model_sheet_list acc = {NULL, 0};
	struct http_result hr = {0}, *r = &hr;
	char q[API_MAX_URL_BYTES];
	char *body = NULL, *key = NULL, *next = NULL;
	size_t len = 0;
	int64_t page;
	int rc = 0;

	for (page = 1; page <= API_MAX_PAGES; page++) {
		rc = token_query(q, sizeof(q), query, key);
		if (rc) {
			log_failure(path, rc, r,
				    rc == -ENOMEM ? "out of memory"
						  : "lastKey too long");
			goto out;
		}
		rc = get(a, path, q, prio, NULL, &body, &len, r);
		if (rc) {
			log_failure(path, rc, r, NULL);
			goto out;
		}
		rc = children ? api_parse_children_page(body, len, &acc, &next)
			      : api_parse_workspace_page(body, len, &acc,
							 &next);
		free(body);
		body = NULL;
		if (rc) {
			log_failure(path, rc, r, parse_failure(rc));
			goto out;
		}
		if (!next)
			break;
		/* The same key again would ask for the same page again. */
		if (key && strcmp(next, key) == 0) {
			rc = -EIO;
			log_failure(path, rc, r, "lastKey did not move on");
			goto out;
		}
		free(key);
		key = next;
		next = NULL;
	}
	rc = hand_over(path, page, &acc, out, r);
out:
	free(key);
	free(next);
	model_sheet_list_release(&acc);
	put_result(res, r);
	return rc;
}

#define STR_(x) #x
#define STR(x) STR_(x)

int api_list_workspaces(struct api *a, enum api_prio prio,
			struct model_sheet_list *out, struct api_result *res)
{
	/* Token paging: Smartsheet deprecated offset paging here. */
	return list_token(a, "/workspaces",
			  "paginationType=token&maxItems=" STR(API_MAX_ITEMS),
			  false, prio, out, res);
}

int api_list_children(struct api *a, bool workspace, int64_t id,
		      enum api_prio prio, struct model_sheet_list *out,
		      struct api_result *res)
{
	char path[64];

	snprintf(path, sizeof(path), "/%s/%" PRId64 "/children",
		 workspace ? "workspaces" : "folders", id);
	return list_token(a, path,
			  "childrenResourceTypes=sheets,reports,folders"
			  "&maxItems=" STR(API_MAX_ITEMS),
			  true, prio, out, res);
}

/* The streaming sink: a retried attempt restarts the parser. */
struct sheet_sink {
	struct sheet_parser *p;
	struct feed *f;
	int parse_err; /* what the parser said, to tell it from transport */
};

/* The parser (a report's: report) and its feed; -ENOMEM is logged. */
static int sink_open(struct sheet_sink *ss, bool report, const char *path,
		     struct http_result *r)
{
	ss->p = report ? sheet_parser_new_report() : sheet_parser_new();
	ss->f = ss->p ? feed_new(ss->p) : NULL;
	if (ss->f)
		return 0;
	memset(r, 0, sizeof(*r));
	log_failure(path, -ENOMEM, r, "out of memory");
	return -ENOMEM;
}

static void sink_close(struct sheet_sink *ss)
{
	feed_free(ss->f);
	sheet_parser_free(ss->p);
}

static int sink_reset(void *ctx)
{
	struct sheet_sink *s = ctx;

	s->parse_err = feed_reset(s->f);
	return s->parse_err;
}

static int sink_write(void *ctx, const char *data, size_t n)
{
	struct sheet_sink *s = ctx;
	int rc = feed_write(s->f, data, n);

	if (rc)
		s->parse_err = rc;
	return rc;
}

int api_get_sheet(struct api *a, int64_t id, enum api_prio prio,
		  struct model_sheet **out, struct api_result *res)
{
	struct http_result hr = {0}, *r = &hr;
	struct sheet_sink ss = {NULL, NULL, 0};
	struct http_sink sink = {sink_reset, sink_write, &ss};
	struct model_sheet *s = NULL;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/sheets/%" PRId64, id);
	rc = sink_open(&ss, false, path, r);
	if (rc)
		goto out;
	rc = get(a, path, "level=2&include=objectValue", prio, &sink, NULL,
		 NULL, r);
	if (rc) {
		log_failure(path, rc, r,
			    !ss.parse_err   ? NULL
			    : rc == -EFBIG  ? "sheet too large"
			    : rc == -ENOMEM ? "out of memory"
					    : "malformed answer");
		goto out;
	}
	rc = feed_finish(ss.f, &s);
	if (rc) {
		log_failure(path, rc, r,
			    rc == -ENOMEM ? "out of memory"
					  : "malformed answer");
		goto out;
	}
	*out = s;
out:
	sink_close(&ss);
	put_result(res, r);
	return rc;
}

/* One read of a report, every page (api_get_report): 0, -ESTALE when the
 * report changed between pages (not logged), or a logged failure. */
static int read_report(struct api *a, const char *path, enum api_prio prio,
		       struct model_sheet **out, struct http_result *r)
{
	struct sheet_sink ss = {NULL, NULL, 0};
	struct http_sink sink = {sink_reset, sink_write, &ss};
	int64_t page, before = 0, rows = 0, total = -1;
	const char *why = NULL;
	char query[96], what[320];
	int rc, step = 1;

	rc = sink_open(&ss, true, path, r);
	if (rc)
		goto out;
	for (page = 1; page <= API_MAX_PAGES && step > 0; page++) {
		snprintf(query, sizeof(query),
			 "pageSize=%d&page=%" PRId64
			 "&level=3&include=objectValue",
			 API_REPORT_PAGE_ROWS, page);
		rc = get(a, path, query, prio, &sink, NULL, NULL, r);
		if (!rc) {
			rc = feed_end_page(ss.f, &rows, &total);
			ss.parse_err = rc;
		}
		if (rc == -ESTALE && ss.parse_err == -ESTALE)
			goto out; /* changed: the caller reads it again */
		if (rc) {
			snprintf(what, sizeof(what), "page %" PRId64 ": %s",
				 page,
				 !ss.parse_err  ? r->message[0] ? r->message
								: strerror(-rc)
				 : rc == -EFBIG ? "report too large"
						: parse_failure(rc));
			log_failure(path, rc, r, what);
			goto out;
		}
		step = api_report_step(before, rows, total, &why);
		before = rows;
	}
	if (step) {
		rc = -EIO;
		snprintf(what, sizeof(what),
			 "page %" PRId64 ": %s (%" PRId64 " of %" PRId64
			 " rows)",
			 page - 1, step < 0 ? why : "too many pages", rows,
			 total);
		log_failure(path, rc, r, what);
		goto out;
	}
	rc = feed_finish(ss.f, out);
	if (rc)
		log_failure(path, rc, r, parse_failure(rc));
out:
	sink_close(&ss);
	return rc;
}

int api_get_report(struct api *a, int64_t id, enum api_prio prio,
		   struct model_sheet **out, struct api_result *res)
{
	struct http_result hr = {0}, *r = &hr;
	char path[64];
	int rc = -ESTALE, n;

	snprintf(path, sizeof(path), "/reports/%" PRId64, id);
	for (n = 0; n < API_REPORT_READS && rc == -ESTALE; n++) {
		if (n)
			log_info("GET %s: the report changed while it was "
				 "read; reading it again",
				 path);
		rc = read_report(a, path, prio, out, r);
	}
	if (rc == -ESTALE) {
		rc = -EIO;
		log_failure(path, rc, r,
			    "the report kept changing while it was read");
	}
	put_result(res, r);
	return rc;
}

int api_get_sheet_version(struct api *a, int64_t id, enum api_prio prio,
			  int64_t *version, struct api_result *res)
{
	struct http_result hr = {0}, *r = &hr;
	char path[64];
	char *body = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "/sheets/%" PRId64 "/version", id);
	rc = get(a, path, NULL, prio, NULL, &body, &len, r);
	if (rc) {
		log_failure(path, rc, r, NULL);
		goto out;
	}
	rc = api_parse_version(body, len, version);
	if (rc)
		log_failure(path, rc, r, "malformed answer");
out:
	free(body);
	put_result(res, r);
	return rc;
}

int api_get_user(struct api *a, struct model_user *out, struct api_result *res)
{
	struct http_result hr = {0}, *r = &hr;
	char *body = NULL;
	size_t len = 0;
	int rc;

	rc = get(a, "/users/me", NULL, API_PRIO_USER, NULL, &body, &len, r);
	if (rc) {
		log_failure("/users/me", rc, r, NULL);
		goto out;
	}
	rc = api_parse_user(body, len, out);
	if (rc)
		log_failure("/users/me", rc, r,
			    rc == -ENOMEM ? "out of memory"
					  : "malformed answer");
out:
	free(body);
	put_result(res, r);
	return rc;
}

int api_wait_room(struct api *a, enum api_prio prio)
{
	return http_wait_room(a->http, to_http_prio(prio));
}

void api_set_background_rate(struct api *a, int per_min)
{
	http_set_background_rate(a->http, per_min);
}

void api_cancel_speculative(struct api *a, bool on)
{
	http_cancel_speculative(a->http, on);
}

int api_window_count(struct api *a)
{
	return http_window_count(a->http);
}
