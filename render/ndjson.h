#ifndef SSFS_RENDER_NDJSON_H
#define SSFS_RENDER_NDJSON_H

#include "api/model.h"
#include "util/sbuf.h"

/*
 * Sheet model -> NDJSON bytes (SPEC §4, -o ndjson): one flat object a row
 * and nothing else, for duckdb's read_ndjson, pandas' read_json(lines=True),
 * jq -c and mlr --ijsonl:
 *
 *	{"_rowId":21,"_rowNumber":1,"_parentId":null,"Task":"Design"}
 *
 * Cells as in the JSON file (render/json.h: same types, empty cells absent,
 * the same keys for duplicate titles); a column titled like one of the
 * three "_" keys is keyed "<title> (<column id>)". An empty sheet is an
 * empty file. A report (s->is_report, SPEC §7) writes "_sheetId" (its
 * sheet) for "_parentId", and its reserved keys are "_rowId", "_rowNumber"
 * and "_sheetId" (a column's id is its virtualId):
 *
 *	{"_rowId":21,"_rowNumber":1,"_sheetId":4,"Sheet Name":"Plan"}
 *
 * Pure: no I/O, no globals, no locks.
 */

/* The whole file; 0 or a negative errno, and then out is released. */
int render_ndjson(const struct model_sheet *s, struct sbuf *out) SSFS_WUR;

#endif /* SSFS_RENDER_NDJSON_H */
