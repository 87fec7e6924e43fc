#ifndef SSFS_EDIT_PLAN_I_H
#define SSFS_EDIT_PLAN_I_H

#include <stdint.h>

#include "api/model.h"
#include "edit/doc.h"
#include "edit/plan.h"

/*
 * Inside edit/: building a plan (plan.c), shared by the append plan
 * (plan.c), the diff (diff.c) and the placing of rows (order.c).
 */

/* Grow the plan by one request of kind k with room for cap rows (in the
 * plan's arena); NULL when out of memory. */
struct edit_req *edit_plan_add_req(struct edit_plan *p, enum edit_req_kind k,
				   uint32_t cap);

/*
 * The cells of doc row `row` as a new row: every non-empty field but those
 * of system columns and column formulas (Smartsheet computes them), in
 * p's arena, into out (cells, ncells, line). A field in a column locked
 * for the user, or one values.h refuses: -EINVAL with err.
 */
int edit_plan_new_cells(struct edit_plan *p, const struct model_sheet *s,
			const struct edit_doc *doc, size_t row,
			struct edit_prow *out, char *err);

#endif /* SSFS_EDIT_PLAN_I_H */
