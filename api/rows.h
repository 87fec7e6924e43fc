#ifndef SSFS_API_ROWS_H
#define SSFS_API_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "util/compat.h"

/*
 * Row writes (SPEC §8): the three requests a write-back is made of, sent
 * at API_PRIO_USER through the request window (they count toward the 300 a
 * minute, ahead of the warm-up, and are never cancelled). The body is the
 * caller's (edit/ builds it); this layer checks its shape, sends it, reads
 * Smartsheet's Result answer and maps every failure to one errno. Thread-
 * safe; one sheet's writes must go one at a time (Smartsheet answers 4004
 * to a second concurrent write of one token, retried here a few times).
 *
 * Every failure is logged once here ("POST /sheets/1/rows (3 rows): HTTP
 * 400, errorCode 1042, refId abc: ..."; never a body or a token) and
 * described in *res: status, errorCode, refId (both 0 / "" when the
 * server said none) and a message that is never empty, also for failures
 * found here (a body refused before sending, an answer that cannot be
 * read).
 *
 * errno, from api_rows_errno():
 *   -EINVAL    the request was refused as written: a body of the wrong
 *              shape or too many rows (nothing sent), a 400 (values that
 *              do not conform, 1042; system or formula columns, 1046 and
 *              1302; locations and anchors, 1062-1064 and 1123; unknown
 *              columns, 1036; bad JSON, 1008; ...), and a 403 for a locked
 *              row or column (1039, 1050, 1092): the edit, not the file,
 *              is refused
 *   -EACCES    no credential, no write access or no WRITE_SHEETS scope
 *              (403, 1004), a token refused (401, or 400 1132)
 *   -ENOENT    the sheet (or, for UPDATE and DELETE, a row) is not there
 *              (404, 1006)
 *   -EBUSY     another request of this token kept writing the sheet
 *              (errorCode 4004) through every retry: nothing was applied,
 *              try again later
 *   -ETIMEDOUT no answer within Timeout
 *   -EIO       any other failure: network, 429 or 5xx after retries, an
 *              answer that cannot be read
 * and, whatever the errno, ans->maybe_applied when the outcome is unknown:
 * the request went out and may have been applied, but no answer says so
 * (a reset, a timeout, a 5xx, a 2xx that cannot be read, a DELETE whose
 * replay found its rows gone). The errno is then -EIO or -ETIMEDOUT. The
 * caller must not send it again as it is, and should read the sheet
 * before anything else: an ADD may have added its rows (without their ids
 * being known), an UPDATE set its cells, a DELETE removed its rows.
 *
 * What is retried (http/http.h has the rule): ADD only when the server
 * cannot have applied it (nothing sent; 429/4003, 4004, 503/4001);
 * UPDATE and DELETE also after failures that may have been applied,
 * because sending them twice is harmless: an UPDATE sets the same cells
 * and moves rows to the same absolute places (parentId, siblingId, toTop,
 * toBottom) again, and a DELETE deletes nothing more (ids are never
 * reused). An UPDATE that indents or outdents is relative, so it is
 * retried only as an ADD is.
 */

enum api_rows_op {
	API_ROWS_ADD,	 /* POST /sheets/{id}/rows; body: a JSON array of
			  * rows (cells and one location) */
	API_ROWS_UPDATE, /* PUT /sheets/{id}/rows; body: a JSON array of
			  * rows, each with its "id" (cells, moves) */
	API_ROWS_DELETE, /* DELETE /sheets/{id}/rows?<body>; body: the query,
			  * "ids=1,2,3&ignoreRowsNotFound=false" */
};

/* The most rows in one ADD or UPDATE (Smartsheet's limit), and ids in one
 * DELETE (SPEC §8: the URL stays far below a server's limit). */
#define API_ROWS_MAX 500
#define API_ROWS_MAX_DELETE 400

/*
 * What a write answered. On success: version, the sheet's version after
 * the request (0 when the answer has none); ids, for ADD the new rows' ids
 * in the order they were sent, for UPDATE the rows' ids as answered, for
 * DELETE every row deleted (their children too); result_code 0. On
 * failure: everything 0 and NULL but maybe_applied (see above).
 * Release with api_rows_answer_release().
 */
struct api_rows_answer {
	int64_t version;
	int64_t *ids;
	size_t nids;
	int result_code;    /* Smartsheet's resultCode: 0 SUCCESS */
	bool maybe_applied; /* on failure: the outcome is unknown */
};

/*
 * Send one write of op to sheet sheet_id with body (len bytes; see enum
 * api_rows_op). ADD and UPDATE bodies are checked before sending: a JSON
 * array of 1..API_ROWS_MAX objects, each with "id" for UPDATE; a DELETE
 * query holds 1..API_ROWS_MAX_DELETE ids and URL-safe characters only.
 * An ADD or UPDATE answered with another number of rows than it sent, a
 * resultCode other than 0, or any 2xx answer that cannot be read, is -EIO
 * with maybe_applied (the rows are there, their ids are not known). ans is
 * always set (release it); res may be NULL. 0 or a negative errno
 * (above).
 */
int api_rows_write(struct api *a, int64_t sheet_id, enum api_rows_op op,
		   const char *body, size_t len, struct api_rows_answer *ans,
		   struct api_result *res) SSFS_WUR;

/* Frees ids and clears *ans; a second call does nothing. */
void api_rows_answer_release(struct api_rows_answer *ans);

/*
 * Whether the credential may write rows: with OAuth the token must carry
 * WRITE_SHEETS (auth_scope_has); a personal token may. When it may not,
 * why (whylen bytes, may be 0) says so in a sentence for the status and
 * the log. Whether the sheet may be edited is its accessLevel's to say.
 */
bool api_may_write(struct api *a, char *why, size_t whylen);

/*
 * Pure parts, for tests and fuzzing.
 *
 * api_rows_parse_answer: a 2xx answer of op, {"message": "SUCCESS",
 * "resultCode": 0, "version": N, "result": [...]} (rows with "id" for ADD
 * and UPDATE, ids for DELETE), into *ans (exact int64 ids, in order).
 * -EIO for another shape (logged at debug level), -ENOMEM. *ans is written
 * only on success.
 */
int api_rows_parse_answer(enum api_rows_op op, const char *json, size_t len,
			  struct api_rows_answer *ans) SSFS_WUR;

/*
 * The errno of a failed write (table above) from the transport's rc, the
 * answer's HTTP status and errorCode (0 when none), and whether it may
 * have been applied. rc 0 gives 0.
 */
int api_rows_errno(int rc, long status, int error_code, bool maybe_applied);

#endif /* SSFS_API_ROWS_H */
