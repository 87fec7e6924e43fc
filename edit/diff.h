#ifndef SSFS_EDIT_DIFF_H
#define SSFS_EDIT_DIFF_H

#include "api/model.h"
#include "edit/doc.h"
#include "edit/plan.h"
#include "render/render.h"

/*
 * The row diff of a whole-file save (SPEC §8 steps 3 and 4): the sheet as
 * the file showed it (its base), the new text parsed (edit/csvin.c in
 * EDIT_CSV_EDIT mode, or edit/jsonin.c) -> the plan of requests
 * (edit/plan.h). Pure; any thread.
 *
 * Matching:
 * - JSON: by "id"; a row without one is new; an id that is not the base's,
 *   or one given twice, is EINVAL.
 * - CSV: a row is its fields' text, compared with the text render/csv.c
 *   gives the base row's cells (so byte-equal records match whatever the
 *   quoting). Rows are matched in order by a longest common subsequence
 *   (edit/lcs.h). Then a new row whose text equals a base row left
 *   unmatched is that row, moved (copies of one text pair in order: the
 *   k-th unmatched with the k-th unmatched). Then, between two rows
 *   matched in order, an unmatched new row is the first unmatched base
 *   row of that gap with the same primary-column text, changed; the rest
 *   of the gap pairs in order (n-th with n-th). Moves are found before
 *   the gap pairing: SPEC lists them after it, but pairing first would
 *   take two rows swapped across a matched row for two changed rows and
 *   swap their ids (and attachments) instead of moving them.
 * - Rows left over are added (new rows) or deleted (base rows).
 *
 * A row keeps its id whenever it is matched, changed or moved; a changed
 * row sends only its changed cells (in a CHECKBOX column, empty and false
 * are the same: Smartsheet stores a cleared checkbox as false). EINVAL,
 * nothing sent, when: a changed cell is one Smartsheet computes (a system
 * column, a column formula, a cell holding a formula, a locked column or
 * row, locked for the user); a value values.h refuses; a deleted row still
 * has a child in the text (Smartsheet would delete it with its parent);
 * a row locked for the user would be deleted or moved. New rows' fields
 * under system columns and column formulas are ignored, as on append.
 *
 * The plan is checked before it is returned: edit/apply.c runs it on the
 * base, and the rows must come out in the text's order with their ids
 * and changed text; if not (a bug here), -EIO and nothing is sent.
 *
 * o: the mount's values= mode (display: the CSV showed displayValues;
 * values.h says what that means for a changed cell); NULL is raw.
 * Returns 0 and *out (the caller frees it with edit_plan_free), or
 * -EINVAL with err, -ENOMEM, -EIO (with err).
 */
int edit_diff(const struct model_sheet *s, const struct edit_doc *doc,
	      const struct render_opts *o, struct edit_plan **out,
	      char *err) SSFS_WUR;

#endif /* SSFS_EDIT_DIFF_H */
