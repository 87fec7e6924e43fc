/*
 * The whole account's parsers (SPEC §7): children and workspace pages
 * (first byte even), and a report's pages (first byte odd; the pages are
 * the rest split at each \x01 byte). Properties beyond "no crash":
 * - a page both we and cJSON accept gives exactly the items it sent, in
 *   order, with the kinds its resourceTypes name (sheet, report, folder;
 *   the rest skipped), ids exact and names as sent;
 * - a report either has exactly totalRowCount rows or fails with a clear
 *   error (-EIO, -ESTALE, -EFBIG, -ENOMEM); fed in pieces it is the same;
 *   its cells point at its columns, sorted; its JSON file is JSON.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/model.h"
#include "api/parse.h"
#include "api/report.h"
#include "api/sheet_parser.h"
#include "render/render.h"
#include "util/log.h"
#include "util/sbuf.h"

#define MAX_PAGES 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The kind a children item's resourceType names, or -1 (skipped). */
static int kind_of(const cJSON *item)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "resourceType");

	if (!cJSON_IsString(t))
		return -1;
	if (strcmp(t->valuestring, "sheet") == 0)
		return MODEL_KIND_SHEET;
	if (strcmp(t->valuestring, "report") == 0)
		return MODEL_KIND_REPORT;
	if (strcmp(t->valuestring, "folder") == 0)
		return MODEL_KIND_FOLDER;
	return -1;
}

/* An object with a key twice: cJSON reads the first, we the last. */
static int has_duplicate_keys(const cJSON *o)
{
	const cJSON *a, *b;

	for (a = o->child; a; a = a->next)
		for (b = a->next; b; b = b->next)
			if (a->string && b->string &&
			    strcmp(a->string, b->string) == 0)
				return 1;
	return 0;
}

/* Our items against cJSON's reading of the same page. */
static void check_items(const char *d, size_t n, int typed,
			const struct model_sheet_list *l)
{
	cJSON *root = cJSON_ParseWithLength(d, n);
	const cJSON *arr, *item, *name;
	size_t k = 0;

	if (!root)
		return; /* cJSON refuses what yajl took: nothing to compare */
	arr = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (has_duplicate_keys(root) || !cJSON_IsArray(arr))
		goto out;
	cJSON_ArrayForEach(item, arr)
	{
		int kind = typed ? kind_of(item) : MODEL_KIND_WORKSPACE;

		if (has_duplicate_keys(item))
			goto out;
		if (kind < 0)
			continue;
		if (k >= l->count || (int)l->items[k].kind != kind)
			abort(); /* an item lost, added or of another kind */
		/* (double)int64 and strtod round the same integer alike */
		if ((double)l->items[k].id !=
		    cJSON_GetObjectItemCaseSensitive(item, "id")->valuedouble)
			abort();
		name = cJSON_GetObjectItemCaseSensitive(item, "name");
		/* U+FFFD: ours replaced a \u0000 or a lone surrogate */
		if (cJSON_IsString(name) &&
		    !strstr(l->items[k].name, "\xEF\xBF\xBD") &&
		    strcmp(l->items[k].name, name->valuestring) != 0)
			abort();
		if (!cJSON_IsString(name) && l->items[k].name[0])
			abort();
		k++;
	}
	if (k != l->count)
		abort();
out:
	cJSON_Delete(root);
}

static void lists(const char *d, size_t n)
{
	struct model_sheet_list l = {NULL, 0};
	char *key = NULL;
	int typed;

	for (typed = 0; typed < 2; typed++) {
		int rc = typed ? api_parse_children_page(d, n, &l, &key)
			       : api_parse_workspace_page(d, n, &l, &key);

		if (rc == 0) {
			check_items(d, n, typed, &l);
			if (key && !key[0])
				abort(); /* "" ends the list */
		} else if (l.count || key) {
			abort(); /* outputs written on failure */
		}
		free(key);
		key = NULL;
		model_sheet_list_release(&l);
	}
}

/* The pages fed in pieces of step bytes, as api_get_report would. */
static int report_in_pieces(const char *const *pages, const size_t *lens,
			    size_t np, size_t step, struct model_sheet **out)
{
	struct sheet_parser *p = sheet_parser_new_report();
	int64_t before = 0, rows, total;
	const char *why;
	size_t i, off;
	int rc = p ? 0 : -ENOMEM, more = 1;

	for (i = 0; i < np && !rc && more > 0; i++) {
		for (off = 0; off < lens[i] && !rc; off += step)
			rc = sheet_parser_feed(
			    p, pages[i] + off,
			    lens[i] - off < step ? lens[i] - off : step);
		if (!rc)
			rc = sheet_parser_end_page(p);
		if (rc)
			break;
		sheet_parser_count(p, &rows, &total);
		more = api_report_step(before, rows, total, &why);
		before = rows;
	}
	if (!rc && more)
		rc = -EIO;
	if (!rc)
		rc = sheet_parser_finish(p, out);
	sheet_parser_free(p);
	return rc;
}

static void check_report(const struct model_sheet *s)
{
	struct sbuf out = SBUF_INIT(64 << 20);
	size_t i;
	uint32_t j;

	if (!s->is_report || s->version != -1 ||
	    s->nrows != (size_t)s->total_row_count)
		abort();
	for (i = 0; i < s->nrows; i++)
		for (j = 0; j < s->rows[i].ncells; j++)
			if (s->rows[i].cells[j].col >= s->ncols ||
			    (j && s->rows[i].cells[j].col <=
				      s->rows[i].cells[j - 1].col))
				abort();
	if (render_sheet(s, RENDER_FMT_JSON, NULL, &out) == 0) {
		cJSON *j = cJSON_ParseWithLength(out.buf, out.len);

		if (!j)
			abort(); /* we wrote invalid JSON */
		cJSON_Delete(j);
	}
	sbuf_release(&out);
}

static char *rendered(const struct model_sheet *s)
{
	struct sbuf out = SBUF_INIT(64 << 20);
	int rc = render_sheet(s, RENDER_FMT_NDJSON, NULL, &out);

	if (!rc)
		rc = render_sheet(s, RENDER_FMT_CSV, NULL, &out);
	return rc ? NULL : sbuf_detach(&out, NULL);
}

static void report(const char *d, size_t n, size_t step)
{
	const char *pages[MAX_PAGES];
	size_t lens[MAX_PAGES], np = 0;
	struct model_sheet *whole = NULL, *pieces = NULL;
	const char *cut;
	char *a, *b;
	int rc1, rc2;

	while (np < MAX_PAGES) {
		cut = np + 1 < MAX_PAGES ? memchr(d, '\x01', n) : NULL;
		pages[np] = d;
		lens[np] = cut ? (size_t)(cut - d) : n;
		np++;
		if (!cut)
			break;
		n -= (size_t)(cut - d) + 1;
		d = cut + 1;
	}
	rc1 = api_parse_report(pages, lens, np, &whole);
	rc2 = report_in_pieces(pages, lens, np, step, &pieces);
	if (rc1 != rc2)
		abort(); /* streaming changed the verdict */
	if (rc1 && rc1 != -EIO && rc1 != -ESTALE && rc1 != -EFBIG &&
	    rc1 != -ENOMEM)
		abort();
	if (!rc1) {
		check_report(whole);
		a = rendered(whole);
		b = rendered(pieces);
		if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
			abort(); /* streaming changed the model */
		free(a);
		free(b);
	}
	model_sheet_free(whole);
	model_sheet_free(pieces);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	log_set_level(LOG_ERR);
	if (data[0] & 1)
		report((const char *)data + 1, size - 1,
		       (size_t)(data[0] >> 1) % 31 + 1);
	else
		lists((const char *)data + 1, size - 1);
	return 0;
}
