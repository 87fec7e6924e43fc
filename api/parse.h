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

/* One page of GET /sheets: its sheets are appended to acc (release with
 * model_sheet_list_release); *page and *total_pages as sent (-1: unknown). */
int api_parse_sheet_list_page(const char *json, size_t len,
			      struct model_sheet_list *acc, int64_t *page,
			      int64_t *total_pages) SSFS_WUR;

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
