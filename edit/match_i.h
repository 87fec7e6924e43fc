#ifndef SSFS_EDIT_MATCH_I_H
#define SSFS_EDIT_MATCH_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/model.h"
#include "edit/doc.h"
#include "util/sbuf.h"

/*
 * Inside edit/: matching the rows of a new text with the base's (match.c;
 * the rules are in diff.h). For edit/diff.c.
 */

struct edit_match {
	const struct model_sheet *s;
	const struct edit_doc *doc;
	bool display;	  /* values=display (CSV) */
	uint32_t *d2b;	  /* doc row -> base row, or EDIT_LCS_NONE (new) */
	bool *exact;	  /* doc row: its text equals its base row's */
	struct sbuf a, b; /* scratch: base fields; objectValue joins */
};

/* The base row's fields as the doc's format shows them (doc.h's blob
 * form) in m->a. 0 or -ENOMEM. */
int edit_match_base(struct edit_match *m, size_t row) SSFS_WUR;

/* Fill m->d2b and m->exact (allocated here; freed by edit_match_release).
 * 0, -ENOMEM, or -EINVAL with err (JSON ids). */
int edit_match_rows(struct edit_match *m, char *err) SSFS_WUR;

void edit_match_release(struct edit_match *m);

/* The index of the primary column, or s->ncols when none. */
size_t edit_match_primary(const struct model_sheet *s);

#endif /* SSFS_EDIT_MATCH_I_H */
