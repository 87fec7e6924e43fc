/*
 * Sheet JSON -> model -> CSV and JSON. Properties beyond "no crash": the
 * body fed in pieces (sizes from the input) gives the same model as fed
 * whole, and the JSON we render is valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/model.h"
#include "api/parse.h"
#include "api/sheet_parser.h"
#include "render/csv.h"
#include "render/json.h"
#include "render/render.h"
#include "util/sbuf.h"

static int parse_in_pieces(const char *d, size_t n, size_t step,
			   struct model_sheet **out)
{
	struct sheet_parser *p = sheet_parser_new();
	size_t off = 0;
	int rc = p ? 0 : -1;

	while (!rc && off < n) {
		size_t k = n - off < step ? n - off : step;

		rc = sheet_parser_feed(p, d + off, k);
		off += k;
	}
	if (!rc)
		rc = sheet_parser_finish(p, out);
	sheet_parser_free(p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_opts o = {.display = false, .crlf = false};
	struct sbuf a = SBUF_INIT(64 << 20), b = SBUF_INIT(64 << 20);
	struct model_sheet *whole = NULL, *pieces = NULL;
	const char *d = (const char *)data;
	size_t step;
	int rc1, rc2;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 17) + 1;
	d++;
	size--;
	rc1 = api_parse_sheet(d, size, &whole);
	rc2 = parse_in_pieces(d, size, step, &pieces);
	if ((rc1 == 0) != (rc2 == 0))
		abort(); /* streaming changed the verdict */
	if (rc1 == 0) {
		if (render_json(whole, &a) == 0) {
			cJSON *j = cJSON_ParseWithLength(a.buf, a.len);

			if (!j)
				abort(); /* we wrote invalid JSON */
			cJSON_Delete(j);
			if (render_json(pieces, &b) != 0 || a.len != b.len ||
			    memcmp(a.buf, b.buf, a.len) != 0)
				abort(); /* streaming changed the model */
		}
		sbuf_reset(&a);
		o.display = size & 1;
		o.crlf = size & 2;
		(void)!render_csv(whole, &o, &a);
	}
	model_sheet_free(whole);
	model_sheet_free(pieces);
	sbuf_release(&a);
	sbuf_release(&b);
	return 0;
}
