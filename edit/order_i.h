#ifndef SSFS_EDIT_ORDER_I_H
#define SSFS_EDIT_ORDER_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/model.h"
#include "edit/plan.h"

/*
 * Inside edit/: placing rows (order.c). Given the rows of the new text in
 * order, each keeping a base row or new, it appends to the plan the
 * additions and then the moves that give exactly that order, with
 * Smartsheet's locations (edit/apply.h simulates them as it goes).
 *
 * The rules, "after the row before":
 * - the rows that keep their place are a longest increasing run of base
 *   positions (edit_lis); every other kept row moves;
 * - a run of new rows goes right after the row before it in the text: as
 *   that row's first children when it has rows below it that stay
 *   (siblingId of the first child + above), else right below it at its
 *   level (siblingId), so after a child row they join its parent; at the
 *   top of the text, toTop; when the row before moves later, right above
 *   the next row that stays (siblingId + above), or at the bottom;
 * - then, from the top of the text down, a row that is not right after
 *   the row before it (rows to be deleted, and rows still to move that
 *   have nothing below them, do not count) moves there by the same rule;
 *   consecutive moves of that shape share one request.
 */

/* A row of the new text. */
struct edit_target {
	uint32_t base;	      /* the base row it keeps, or EDIT_LCS_NONE */
	struct edit_prow add; /* a new row: its cells (line too) */
	uint32_t line;
	bool moved; /* set here: it moved */
};

/*
 * Append additions and moves to p for targets t[0..nt) over sheet s, whose
 * rows with gone[i] are deleted after them. Sets t[k].add.ref for new rows
 * (added indexes in text order) and t[k].moved. 0, -ENOMEM, or -EINVAL with
 * err (a row locked for the user would have to move).
 */
int edit_order(struct edit_plan *p, const struct model_sheet *s,
	       struct edit_target *t, size_t nt, const bool *gone, char *err);

#endif /* SSFS_EDIT_ORDER_I_H */
