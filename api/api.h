#ifndef SSFS_API_API_H
#define SSFS_API_API_H

#include <stdbool.h>
#include <stdint.h>

#include "api/model.h"
#include "util/compat.h"

/*
 * The Smartsheet REST client. Thread-safe; every call blocks and returns 0 or
 * a negative errno (SPEC §5), with what the server said in *res (may be
 * NULL). Every failure is logged once here with status, errorCode, message
 * and refId. Callers never see the transport (http/http.h): results and
 * priorities have types of their own here.
 */

struct api;
struct auth;
struct http;

/*
 * What a request ended with, success or not. Strings are NUL-terminated and
 * truncated to fit.
 */
struct api_result {
	long status;       /* HTTP status of the last attempt, 0 if none */
	int error_code;    /* Smartsheet errorCode, 0 if none */
	char message[256]; /* Smartsheet's message, or why no answer came */
	char ref_id[64];   /* Smartsheet refId, "" if none */
};

/*
 * A request's place in the request window. USER requests (a reader is
 * waiting) may fill it; AHEAD requests (read-ahead) three quarters of it;
 * BACKGROUND requests (the warm-up) half of it, at their own pace. AHEAD
 * and BACKGROUND requests are speculative: api_cancel_speculative() stops
 * them (-ECANCELED). A token refresh a request causes is always a user's.
 */
enum api_prio {
	API_PRIO_USER = 0,
	API_PRIO_AHEAD,
	API_PRIO_BACKGROUND,
};

/* base: the API base URL without a trailing slash
 * ("https://api.smartsheet.com/2.0"); copied. http and auth are borrowed
 * and must outlive the api. */
struct api *api_new(const char *base, struct http *http, struct auth *auth);
void api_free(struct api *a);

/* GET /sheets, every page. On success *out holds the sheets (release with
 * model_sheet_list_release). */
int api_list_sheets(struct api *a, enum api_prio prio,
		    struct model_sheet_list *out,
		    struct api_result *res) SSFS_WUR;

/* GET /sheets/{id}?level=2&include=objectValue, parsed as a stream while it
 * downloads. On success *out is a new sheet (model_sheet_free). */
int api_get_sheet(struct api *a, int64_t id, enum api_prio prio,
		  struct model_sheet **out, struct api_result *res) SSFS_WUR;

/*
 * The whole account (SPEC §7). Only the current forms are used: never
 * /home, /folders/personal, /workspaces/{id}/folders, nor GET
 * /workspaces/{id} or /folders/{id} (deprecated 2025-08-04). On success
 * *out holds the entries (release with model_sheet_list_release), an entry
 * once (kind and id) however the pages overlapped.
 */

/* GET /workspaces?paginationType=token, every page (lastKey); entries of
 * kind MODEL_KIND_WORKSPACE. */
int api_list_workspaces(struct api *a, enum api_prio prio,
			struct model_sheet_list *out,
			struct api_result *res) SSFS_WUR;

/*
 * GET /workspaces/{id}/children (workspace) or /folders/{id}/children with
 * childrenResourceTypes=sheets,reports,folders, every page: lastKey is
 * followed until an answer has none, however few items a page holds (none
 * too). Entries of kind MODEL_KIND_SHEET, _REPORT or _FOLDER (other
 * resourceTypes, as sights and templates, are skipped). A workspace or
 * folder that does not exist is -ENOENT, one the token may not read
 * -EACCES.
 */
int api_list_children(struct api *a, bool workspace, int64_t id,
		      enum api_prio prio, struct model_sheet_list *out,
		      struct api_result *res) SSFS_WUR;

/* GET /reports, every page; entries of kind MODEL_KIND_REPORT. */
int api_list_reports(struct api *a, enum api_prio prio,
		     struct model_sheet_list *out,
		     struct api_result *res) SSFS_WUR;

/*
 * GET /reports/{id}?pageSize=10000&page=N&level=3&include=objectValue, page
 * after page until totalRowCount rows are in, each parsed as a stream while
 * it downloads into one model: on success *out is a new report
 * (is_report, exactly totalRowCount rows; model_sheet_free). A report that
 * changed between its pages is read again from the first page, once. -EIO
 * when the pages do not add up (no totalRowCount, a page that adds no row
 * before they are all in, more rows than it says) or the report kept
 * changing; -ENOENT, -EACCES as for a sheet.
 */
int api_get_report(struct api *a, int64_t id, enum api_prio prio,
		   struct model_sheet **out, struct api_result *res) SSFS_WUR;

/* GET /sheets/{id}/version. */
int api_get_sheet_version(struct api *a, int64_t id, enum api_prio prio,
			  int64_t *version, struct api_result *res) SSFS_WUR;

/* GET /users/me (at API_PRIO_USER). On success *out must be released with
 * model_user_release. */
int api_get_user(struct api *a, struct model_user *out,
		 struct api_result *res) SSFS_WUR;

/*
 * The request window, for the warm-up and read-ahead (cache/prefetch.c).
 *
 * api_wait_room: wait until a request at prio could go now (the background
 * pace and prio's share of the window), before taking anything a reader
 * might wait on. It takes no slot, but it does use up the background pace:
 * the warm-up then makes its requests at API_PRIO_AHEAD, so that a second
 * request of the same fetch (a retry, the GET after a token refresh) never
 * waits for the pace while a reader waits for the sheet. 0, or -ECANCELED
 * (prio speculative and cancelled).
 */
int api_wait_room(struct api *a, enum api_prio prio);

/* The background pace in requests a minute (0: no background requests). */
void api_set_background_rate(struct api *a, int per_min);

/* Make every speculative request, waiting or in flight, fail at once with
 * -ECANCELED (on: true), e.g. at unmount; off again with false. */
void api_cancel_speculative(struct api *a, bool on);

/* Requests sent in the last window (for the status file); -1 when there
 * is no limit. */
int api_window_count(struct api *a);

#endif /* SSFS_API_API_H */
