#ifndef SSFS_API_SHEET_ROWS_I_H
#define SSFS_API_SHEET_ROWS_I_H

#include <stdbool.h>

#include "api/sheet_parser_i.h"

/*
 * How the sheet parser puts the model together as containers end (the
 * jsonwalk end handler; ctx is the struct sheet_parser): columns and the
 * columnId -> index map, cells resolved, sorted and deduplicated per row,
 * multi-value objectValues. Rows that end before the columns keep their
 * raw column ids until sheet_rows_resolve.
 */

/* 1, or 0 after failing the walk. */
int sheet_rows_end(void *ctx, int frame);

/* One element of the current objectValue's "values" (a string: b NULL,
 * contact false). 1, or 0 after failing the walk. */
int sheet_rows_add_item(struct sheet_parser *p, const char *a, const char *b,
			bool contact);

/* At finish: resolve the rows that ended before the columns. 0 or the
 * walk's error. */
int sheet_rows_resolve(struct sheet_parser *p);

#endif /* SSFS_API_SHEET_ROWS_I_H */
