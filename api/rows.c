/*
 * Row writes (api/rows.h): the body checked before it goes (shape and
 * counts, and whether an UPDATE moves rows relatively), one request through
 * api_send() at the user's priority, the Result answer read into ids and
 * the new version, and each failure mapped, described and logged once.
 * Called by whoever saves (FUSE workers); no state of its own.
 */
#include "api/rows.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api_i.h"
#include "auth/auth.h"
#include "http/errors.h"
#include "http/http.h"
#include "util/log.h"

#define ROWS_UNKNOWN_SUFFIX "; it may have been applied"

static const char *op_method(enum api_rows_op op)
{
	switch (op) {
	case API_ROWS_ADD:
		return "POST";
	case API_ROWS_UPDATE:
		return "PUT";
	default:
		return "DELETE";
	}
}

static int refuse(struct http_result *r, const char *msg)
{
	http_result_set_message(r, msg);
	return -EINVAL;
}

/*
 * An ADD or UPDATE body: a JSON array of 1..API_ROWS_MAX objects, each
 * with an "id" for UPDATE. *relative when an UPDATE indents or outdents
 * (sent twice, it would move twice). cJSON is enough here: only the shape
 * is read, no id is kept.
 */
static int check_rows(enum api_rows_op op, const char *body, size_t len,
		      size_t *count, bool *relative, struct http_result *r)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *row;
	int rc = 0;

	if (!root) {
		rc = refuse(r, "the rows to send are not JSON");
		goto out;
	}
	if (!cJSON_IsArray(root)) {
		rc = refuse(r, "the rows to send are not a JSON array");
		goto out;
	}
	cJSON_ArrayForEach(row, root)
	{
		if (!cJSON_IsObject(row)) {
			rc = refuse(r, "a row to send is not a JSON object");
			goto out;
		}
		if (op == API_ROWS_UPDATE &&
		    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row,
								     "id"))) {
			rc = refuse(r, "a row to update has no \"id\"");
			goto out;
		}
		if (cJSON_HasObjectItem(row, "indent") ||
		    cJSON_HasObjectItem(row, "outdent"))
			*relative = true;
		(*count)++;
	}
	if (!*count || *count > API_ROWS_MAX)
		rc = refuse(r, *count ? "more than 500 rows in one request"
				      : "no rows to send");
out:
	cJSON_Delete(root);
	return rc;
}

/* A DELETE query: URL-safe characters only, and an ids list of
 * 1..API_ROWS_MAX_DELETE decimal ids. */
static int check_delete(const char *q, size_t *count, struct http_result *r)
{
	const char *p, *ids = NULL;
	size_t n;

	if (q[strspn(q, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=&,")])
		return refuse(r, "the ids to delete hold other characters");
	for (p = q; p;) {
		if (!strncmp(p, "ids=", 4))
			ids = p + 4;
		p = strchr(p, '&');
		if (p)
			p++;
	}
	if (!ids)
		return refuse(r, "no ids to delete");
	for (p = ids;; p++) {
		n = strspn(p, "0123456789");
		if (!n)
			break;
		(*count)++;
		p += n;
		if (*p != ',')
			break;
	}
	if (!n || (*p && *p != '&'))
		return refuse(r, "the ids to delete are not a list of ids");
	if (*count > API_ROWS_MAX_DELETE)
		return refuse(r, "more than 400 ids to delete in one request");
	return 0;
}

/* The answer to a request that was applied, read; -EIO (the rows are
 * there, what they became is unknown) when it says otherwise. */
static int take_answer(enum api_rows_op op, const char *body, size_t len,
		       size_t sent, struct api_rows_answer *ans,
		       struct http_result *r)
{
	char msg[128];
	int rc;

	rc = api_rows_parse_answer(op, body, len, ans);
	if (rc) {
		http_result_set_message(r, rc == -ENOMEM
					   ? "out of memory for the answer"
					   : "the answer cannot be read");
		goto fail;
	}
	if (ans->result_code != 0) {
		snprintf(msg, sizeof(msg), "the answer says resultCode %d",
			 ans->result_code);
		http_result_set_message(r, msg);
		rc = -EIO;
		goto fail;
	}
	if (op != API_ROWS_DELETE && ans->nids != sent) {
		snprintf(msg, sizeof(msg), "the answer has %zu rows for %zu sent",
			 ans->nids, sent);
		http_result_set_message(r, msg);
		rc = -EIO;
		goto fail;
	}
	return 0;
fail:
	api_rows_answer_release(ans);
	r->maybe_applied = true;
	return rc;
}

/* Every failure leaves a message, and says when it may have landed. */
static void describe(struct http_result *r, int rc)
{
	char msg[sizeof(r->message)];
	size_t n, max = sizeof(msg) - sizeof(ROWS_UNKNOWN_SUFFIX);

	if (!r->message[0]) {
		if (r->status)
			snprintf(r->message, sizeof(r->message), "HTTP %ld",
				 r->status);
		else
			snprintf(r->message, sizeof(r->message), "%s",
				 strerror(-rc));
	}
	if (!r->maybe_applied)
		return;
	/* Room for the suffix, cut between two UTF-8 characters. */
	n = strlen(r->message);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)r->message[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(msg, sizeof(msg), "%.*s%s", (int)n, r->message,
		 ROWS_UNKNOWN_SUFFIX);
	http_result_set_message(r, msg);
}

int api_rows_write(struct api *a, int64_t sheet_id, enum api_rows_op op,
		   const char *body, size_t len, struct api_rows_answer *ans,
		   struct api_result *res)
{
	struct http_result hr, *r = &hr;
	struct http_request req = {.priority = HTTP_PRIO_USER};
	char path[64], where[96];
	char *query = NULL, *answer = NULL;
	size_t count = 0, alen = 0;
	bool relative = false;
	int rc;

	memset(ans, 0, sizeof(*ans));
	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "/sheets/%" PRId64 "/rows", sheet_id);
	if (op != API_ROWS_ADD && op != API_ROWS_UPDATE &&
	    op != API_ROWS_DELETE) {
		rc = refuse(r, "not a row operation");
	} else if (sheet_id <= 0) {
		rc = refuse(r, "not a sheet id");
	} else if (!body || !len) {
		rc = refuse(r, "no rows to send");
	} else if (op == API_ROWS_DELETE) {
		query = strndup(body, len);
		rc = !query ? -ENOMEM
		     : strlen(query) != len
			 ? refuse(r, "the ids to delete hold a NUL")
			 : check_delete(query, &count, r);
	} else {
		rc = check_rows(op, body, len, &count, &relative, r);
	}
	snprintf(where, sizeof(where), "%s (%zu %s)", path, count,
		 op == API_ROWS_DELETE ? "ids" : "rows");
	if (rc) {
		describe(r, rc);
		log_err("%s %s: not sent: %s", op_method(op), where,
			r->message);
		goto out;
	}
	req.method = op == API_ROWS_ADD	     ? HTTP_POST
		     : op == API_ROWS_UPDATE ? HTTP_PUT
					     : HTTP_DELETE;
	if (op != API_ROWS_DELETE) {
		req.json_body = body;
		req.json_len = len;
		req.not_idempotent = op == API_ROWS_UPDATE && relative;
	}
	rc = api_send(a, &req, path, query, NULL, &answer, &alen, r);
	if (!rc)
		rc = take_answer(op, answer, alen, count, ans, r);
	if (rc) {
		rc = api_rows_errno(rc, r->status, r->error_code,
				    r->maybe_applied);
		ans->maybe_applied = r->maybe_applied;
		describe(r, rc);
		api_log_failure(op_method(op), where, rc, r, NULL);
	}
out:
	free(answer);
	free(query);
	api_put_result(res, r);
	return rc;
}

void api_rows_answer_release(struct api_rows_answer *ans)
{
	if (!ans)
		return;
	free(ans->ids);
	memset(ans, 0, sizeof(*ans));
}

bool api_may_write(struct api *a, char *why, size_t whylen)
{
	if (auth_scope_has(api_auth(a), "WRITE_SHEETS"))
		return true;
	if (whylen)
		snprintf(why, whylen,
			 "the OAuth token has no WRITE_SHEETS scope: add it "
			 "to Scope and authorize again");
	return false;
}
