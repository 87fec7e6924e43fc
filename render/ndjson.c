/*
 * Sheet model -> NDJSON (SPEC §4; a report's, §7): a row a line, its
 * identity in three "_" keys and then its cells as json.c writes them.
 * Pure: no I/O, no locks, no state; any thread may call it.
 */
#include "render/ndjson.h"

#include <errno.h>
#include <stdlib.h>

#include "render/json.h"
#include "render/json_i.h"
#include "render/render_i.h"

/* The keys of a row's identity (a sheet's, a report's); a column may not
 * take them. */
static const char *const row_keys[] = {"_rowId", "_rowNumber", "_parentId",
				       NULL};
static const char *const report_row_keys[] = {"_rowId", "_rowNumber",
					      "_sheetId", NULL};

static int put_row(const struct model_sheet *s, const struct model_row *r,
		   const struct sbuf *keys, const size_t *off,
		   struct sbuf *out)
{
	int rc;

	rc = RENDER_PUT_LIT(out, "{\"_rowId\":");
	if (!rc)
		rc = render_json_i64(out, r->id);
	if (!rc)
		rc = RENDER_PUT_LIT(out, ",\"_rowNumber\":");
	if (!rc)
		rc = render_json_i64(out, r->row_number);
	if (!rc)
		rc = s->is_report ? RENDER_PUT_LIT(out, ",\"_sheetId\":")
				  : RENDER_PUT_LIT(out, ",\"_parentId\":");
	if (!rc)
		rc = render_json_link(out, s, r);
	if (!rc)
		rc = render_json_cells(s, r, keys, off, false, out);
	if (!rc)
		rc = RENDER_PUT_LIT(out, "}\n");
	return rc;
}

int render_ndjson(const struct model_sheet *s, struct sbuf *out)
{
	struct sbuf keys = SBUF_INIT(0);
	size_t *off, i;
	int rc = -ENOMEM;

	off = malloc((s->ncols + 1) * sizeof(*off));
	if (!off)
		goto out;
	rc = render_json_cell_keys(s, s->is_report ? report_row_keys : row_keys,
				   &keys, off);
	if (!rc)
		rc = render_reserve(out, render_json_estimate(s, off));
	for (i = 0; i < s->nrows && !rc; i++)
		rc = put_row(s, &s->rows[i], &keys, off, out);
out:
	free(off);
	sbuf_release(&keys);
	if (rc)
		sbuf_release(out);
	return rc;
}
