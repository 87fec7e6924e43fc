#ifndef SSFS_API_SHEET_FIELDS_I_H
#define SSFS_API_SHEET_FIELDS_I_H

#include <stddef.h>

#include "api/sheet_parser_i.h"

/*
 * The sheet parser's jsonwalk key and value handlers (ctx is the struct
 * sheet_parser): which keys of each container matter and what their values
 * become. A value of the wrong type where the model needs one fails the
 * parse (-EIO); keys it does not know are skipped.
 */

struct jsonwalk_value;

/* The key's enum sheet_key in an object of kind frame; also p->key. */
int sheet_fields_key(void *ctx, int frame, const char *k, size_t len);

/* 1, or 0 after failing the walk. */
int sheet_fields_value(void *ctx, int frame, int key,
		       const struct jsonwalk_value *v);

/* The key's text as sent ("?" for SHEET_KEY_OTHER). */
const char *sheet_fields_key_name(enum sheet_key key);

#endif /* SSFS_API_SHEET_FIELDS_I_H */
