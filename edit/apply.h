#ifndef SSFS_EDIT_APPLY_H
#define SSFS_EDIT_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/model.h"
#include "edit/doc.h"
#include "edit/plan.h"
#include "util/sbuf.h"

/*
 * A simulator of Smartsheet's row requests: a plan applied to a sheet's
 * rows gives the rows, their parents and their cells' text as the sheet
 * would then hold them, with the semantics of tests/support/fake_rows.py
 * (the fake server's engine, itself read from the API documents):
 *
 * - locations: toTop the top; toBottom (and a POST with none) the end,
 *   top level; parentId the parent's first child, + toBottom its last;
 *   siblingId right below the sibling and its descendants, + above right
 *   above it, at the sibling's level; the rows of one request stay in
 *   request order, each right after the one before; a moved row takes its
 *   descendants along (a PUT takes all its blocks out, then places them).
 * - checks, refusing the whole request (errorCode in edit_sim_error()):
 *   no rows or more than 500 (1008, 1061); an unknown PUT id (1006) or one
 *   twice (1137); a row locked for the user on PUT (1050); a cell of an
 *   unknown column (1036) or twice in a row (1037), of a system column
 *   (1046), a column formula (1302) or a locked column (1039); an unknown
 *   parentId (1063) or siblingId (1064); parentId of a row with no data
 *   (1185); a PUT moving a row next to or under itself or its descendant
 *   (1062); DELETE of an unknown id (1006) or of locked rows (1092).
 * - cells: a sent value replaces the cell; an empty value clears it, and a
 *   cleared CHECKBOX is false; new rows hold only the cells sent (system
 *   columns and column formulas are not computed: their text is "").
 *
 * Added rows get ids -1, -2, ... in plan order (added row k: -(k + 1)).
 * Used by the planner (to place rows) and by the tests and fuzzers (to
 * check a plan). Pure; one simulator per thread at a time.
 */

struct edit_sim;

/* The base's rows as they are (parents from parent_id). s is borrowed and
 * must outlive the simulator. NULL: out of memory. */
struct edit_sim *edit_sim_new(const struct model_sheet *s);
void edit_sim_free(struct edit_sim *sim);

/* Apply request r of plan p. 0, -EINVAL (refused: nothing changed; the
 * errorCode in edit_sim_error()), -ENOMEM. */
int edit_sim_apply(struct edit_sim *sim, const struct edit_plan *p,
		   const struct edit_req *r) SSFS_WUR;

/* Every request of p in order; stops at the first refusal. */
int edit_sim_run(struct edit_sim *sim, const struct edit_plan *p) SSFS_WUR;

/* Smartsheet's errorCode of the last refusal (0: none). */
int edit_sim_error(const struct edit_sim *sim);

/* The rows now, in sheet order: a cursor (-1 past the end). */
int32_t edit_sim_first(const struct edit_sim *sim);
int32_t edit_sim_next(const struct edit_sim *sim, int32_t i);
size_t edit_sim_count(const struct edit_sim *sim);
int64_t edit_sim_id(const struct edit_sim *sim, int32_t i);
int64_t edit_sim_parent(const struct edit_sim *sim, int32_t i);

/* Append the text the file of format fmt would show for column col of
 * row i (values=display when display, CSV only). */
int edit_sim_show(const struct edit_sim *sim, int32_t i, size_t col,
		  enum edit_fmt fmt, bool display, struct sbuf *out) SSFS_WUR;

/* For the planner: the row of id (-1: none); the row after i that is its
 * first child (-1: none); the row before i (-1: none); the last row of i's
 * subtree (i itself when it has no children); the base row index of row i
 * (UINT32_MAX: an added row). */
int32_t edit_sim_find(const struct edit_sim *sim, int64_t id);
int32_t edit_sim_first_child(const struct edit_sim *sim, int32_t i);
int32_t edit_sim_prev(const struct edit_sim *sim, int32_t i);
int32_t edit_sim_last_below(struct edit_sim *sim, int32_t i);
uint32_t edit_sim_base(const struct edit_sim *sim, int32_t i);

#endif /* SSFS_EDIT_APPLY_H */
