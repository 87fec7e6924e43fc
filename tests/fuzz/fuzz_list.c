/*
 * Sheet list pages, /version and /users/me answers; then the names of the
 * sheets listed become file names (ids made unique first, as
 * api_list_sheets does). Properties: every stem is non-empty,
 * has no '/' or control byte, fits 255 bytes with ".json", and no two
 * stems are equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/parse.h"
#include "render/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_names(const struct model_sheet_list *l)
{
	struct names_entry *e;
	size_t i, j, n;

	if (!l->count)
		return;
	e = calloc(l->count, sizeof(*e));
	if (!e)
		return;
	/* api_list_sheets keeps the first of ids seen twice; so do we. */
	n = 0;
	for (i = 0; i < l->count; i++) {
		for (j = 0; j < n && e[j].id != l->items[i].id; j++)
			;
		if (j < n)
			continue;
		e[n].id = l->items[i].id;
		e[n].name = l->items[i].name ? l->items[i].name : "";
		n++;
	}
	if (names_assign(e, n, NULL) == 0) {
		for (i = 0; i < n; i++) {
			const unsigned char *s = (const unsigned char *)e[i].stem;
			size_t n = strlen(e[i].stem);

			if (n == 0 || n + 5 > NAMES_MAX_BYTES)
				abort();
			for (j = 0; j < n; j++)
				if (s[j] == '/' || s[j] < 0x20 || s[j] == 0x7f)
					abort();
			for (j = 0; j < i; j++)
				if (strcmp(e[i].stem, e[j].stem) == 0)
					abort();
		}
	}
	names_release(e, n);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct model_sheet_list l = {0};
	struct model_user u = {0};
	int64_t page = 0, pages = 0, v;

	if (api_parse_sheet_list_page(d, size, &l, &page, &pages) == 0)
		check_names(&l);
	model_sheet_list_release(&l);
	(void)!api_parse_version(d, size, &v);
	if (api_parse_user(d, size, &u) == 0)
		model_user_release(&u);
	return 0;
}
