#ifndef SSFS_API_PARSE_H
#define SSFS_API_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Whole-document parsers: what api.c does with each answer, exposed for
 * unit tests and fuzzing. A body of the wrong shape is -EIO (with a debug
 * log line of what was wrong); ids stay exact up to INT64_MAX. Outputs are
 * written only on success. Thread-safe (no shared state).
 */

struct model_sheet;
struct model_sheet_list;
struct model_user;

/* One page of GET /sheets (or /reports, the same IndexResult): its items
 * are appended to acc (release with model_sheet_list_release), kind
 * MODEL_KIND_SHEET; *page and *total_pages as sent (-1: unknown). */
int api_parse_sheet_list_page(const char *json, size_t len,
			      struct model_sheet_list *acc, int64_t *page,
			      int64_t *total_pages) SSFS_WUR;

/*
 * One page of a list paged by lastKey (smartsheet-api.md §4.0, §9.1):
 * {"data": [...], "lastKey": K}, K absent, null or "" on the last page (a
 * page may hold fewer items than asked for, or none, and still have one).
 * Its items are appended to acc (release with model_sheet_list_release);
 * *last_key is the key to send for the next page (a new string, caller
 * frees) or NULL.
 *   api_parse_workspace_page: GET /workspaces?paginationType=token; every
 *     item is a workspace (MODEL_KIND_WORKSPACE).
 *   api_parse_children_page: GET /workspaces/{id}/children and
 *     /folders/{id}/children; each item's resourceType says what it is:
 *     "sheet", "report" and "folder" are kept (MODEL_KIND_SHEET, _REPORT,
 *     _FOLDER), the others ("sight", "template", any this version does not
 *     know) skipped. An item without resourceType is -EIO.
 */
int api_parse_workspace_page(const char *json, size_t len,
			     struct model_sheet_list *acc,
			     char **last_key) SSFS_WUR;
int api_parse_children_page(const char *json, size_t len,
			    struct model_sheet_list *acc,
			    char **last_key) SSFS_WUR;

/* GET /sheets/{id}/version. */
int api_parse_version(const char *json, size_t len, int64_t *version) SSFS_WUR;

/* GET /users/me. On success *out must be released with model_user_release. */
int api_parse_user(const char *json, size_t len,
		   struct model_user *out) SSFS_WUR;

/* A whole GET /sheets/{id} answer through the sheet parser; on success *out
 * is a new sheet (model_sheet_free). */
int api_parse_sheet(const char *json, size_t len,
		    struct model_sheet **out) SSFS_WUR;

/* Exact int64 from a JSON number's digits; -ERANGE / -EINVAL. */
int api_parse_int64(const char *digits, size_t len, int64_t *out) SSFS_WUR;

#endif /* SSFS_API_PARSE_H */
