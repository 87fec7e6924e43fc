#ifndef SSFS_EDIT_CELLOUT_H
#define SSFS_EDIT_CELLOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "api/model.h"
#include "edit/doc.h"
#include "edit/values.h"
#include "util/sbuf.h"

/*
 * Cells going out: a value to send -> the text a file will show for it
 * once Smartsheet holds it, and -> the cell of a request body; a sheet's
 * cell -> the text its file shows (what the diff compares with). Each
 * appends to out and returns 0 or -ENOMEM / -EFBIG. Pure; any thread.
 */

/*
 * Append the text the file of format fmt will show for v once Smartsheet
 * holds it: the CSV field (values=raw) or the canonical JSON. 0 or -ENOMEM
 * / -EFBIG.
 */
int edit_value_show(const struct edit_value *v, enum edit_fmt fmt,
		    struct sbuf *out) SSFS_WUR;

/*
 * Append the text the file of format fmt shows for the sheet's cell c
 * (NULL: empty): render_csv_cell_text (values=display when display) or
 * render_json_value ("" for a cell the JSON file leaves out). scratch is
 * the caller's buffer for objectValue arrays.
 */
int edit_value_base_show(const struct model_cell *c, enum edit_fmt fmt,
			 bool display, struct sbuf *out,
			 struct sbuf *scratch) SSFS_WUR;

/* Append the cell of a request body: {"columnId":ID,"value":...} or
 * {"columnId":ID,"objectValue":{...}}. */
int edit_value_body(int64_t column_id, const struct edit_value *v,
		    struct sbuf *out) SSFS_WUR;

#endif /* SSFS_EDIT_CELLOUT_H */
