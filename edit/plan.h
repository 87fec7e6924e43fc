#ifndef SSFS_EDIT_PLAN_H
#define SSFS_EDIT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/model.h"
#include "edit/doc.h"
#include "edit/values.h"
#include "util/sbuf.h"

/*
 * A save as row requests (SPEC §8 step 5): what edit_diff() and
 * edit_plan_append() produce and the api layer sends, one request after
 * the other, stopping at the first failure. Pure data plus the functions
 * that write each request's bytes; any thread.
 *
 * Requests come in this order: updates (PUT, id + changed cells), then
 * additions (POST, rows sharing ONE location), then moves (PUT, id + one
 * shared location), then deletions (DELETE, ids). At most
 * EDIT_MAX_ROWS_PER_REQ rows (EDIT_MAX_IDS_PER_DELETE ids) each. Every
 * anchor is valid at the moment its request runs, given that the earlier
 * requests succeeded. Never rowNumber, createdAt, or parentId with
 * siblingId. No location uses parentId: a row goes "first child of P" as
 * siblingId of P's first child + above (the same place, and it works for a
 * parent row whose cells are empty, which parentId refuses: 1185).
 *
 * Added rows get their ids only from the answer of their POST. A later
 * request that names one (an anchor, a move) holds a reference to "the
 * k-th row this plan adds" (struct edit_ref with id 0): the caller keeps
 * the ids of each POST's "result" in plan order (added_ids[k]) and passes
 * them to edit_req_body(), which patches them in.
 */

#define EDIT_MAX_ROWS_PER_REQ 500
#define EDIT_MAX_IDS_PER_DELETE 400

/* A row a request names: an existing row, or one this plan adds. */
struct edit_ref {
	int64_t id;	/* > 0: an existing row; 0: the added row below */
	uint32_t added; /* id == 0: its index among the plan's added rows */
};

enum edit_loc_kind {
	EDIT_LOC_NONE = 0, /* updates; POST without one adds at the bottom */
	EDIT_LOC_TOP,	   /* toTop */
	EDIT_LOC_BOTTOM,   /* toBottom */
	EDIT_LOC_SIBLING,  /* siblingId: right below the row (and its
			    * children), at its level */
	EDIT_LOC_ABOVE,	   /* siblingId + above: right above the row */
	EDIT_LOC_PARENT,   /* parentId: first child (never planned) */
	EDIT_LOC_PARENT_BOTTOM, /* parentId + toBottom: last child (same) */
};

struct edit_loc {
	enum edit_loc_kind kind;
	struct edit_ref ref; /* SIBLING, ABOVE, PARENT*: the anchor */
};

/* A cell to send. */
struct edit_cell {
	uint32_t col;	   /* index in the sheet's columns */
	int64_t column_id; /* the column's id */
	struct edit_value v;
};

/* A row of a request. */
struct edit_prow {
	struct edit_ref ref; /* UPDATE, MOVE, DELETE: the row; ADD: itself */
	uint32_t line;	     /* where it is in the text (0: not there) */
	struct edit_cell *cells;
	uint32_t ncells;
};

enum edit_req_kind {
	EDIT_REQ_UPDATE = 0, /* PUT /sheets/{id}/rows */
	EDIT_REQ_ADD,	     /* POST /sheets/{id}/rows */
	EDIT_REQ_MOVE,	     /* PUT /sheets/{id}/rows */
	EDIT_REQ_DELETE,     /* DELETE /sheets/{id}/rows?ids=... */
};

struct edit_req {
	enum edit_req_kind kind;
	struct edit_loc loc; /* ADD and MOVE: the one location of all rows */
	struct edit_prow *rows;
	uint32_t nrows;
};

/* What a save does, for .status. */
struct edit_counts {
	size_t added, changed, moved, deleted; /* deleted: children too */
};

struct edit_plan {
	struct edit_req *reqs;
	size_t nreqs;
	size_t cap;
	size_t nadded; /* rows the plan adds (added_ids needed) */
	struct edit_counts counts;
	struct arena *arena; /* owns everything the requests point to */
};

/* A new empty plan, or NULL (out of memory). */
struct edit_plan *edit_plan_new(void);
void edit_plan_free(struct edit_plan *p);

/* "POST", "PUT" or "DELETE". */
const char *edit_req_method(const struct edit_req *r);

/*
 * Append the bytes of request i: for POST and PUT the JSON body (an array
 * of row objects, as the SDK sends them); for DELETE the query string
 * "ids=1,2,3&ignoreRowsNotFound=false". added_ids holds the ids of the
 * first nknown added rows (from the answers so far). 0, -ENOMEM / -EFBIG,
 * or -EINVAL when the request names an added row whose id is not known
 * yet (a caller bug).
 */
int edit_req_body(const struct edit_plan *p, size_t i, const int64_t *added_ids,
		  size_t nknown, struct sbuf *out) SSFS_WUR;

/*
 * Appended records (edit/csvin.c, EDIT_CSV_APPEND) -> additions at the
 * bottom, in order, at most 500 rows a request. Fields under system
 * columns and column formulas are ignored (Smartsheet computes them); a
 * field in a column locked for the user is EINVAL, as are the values
 * values.h refuses. 0 and *out (the caller frees it), or -EINVAL with
 * err, -ENOMEM.
 */
int edit_plan_append(const struct model_sheet *s, const struct edit_doc *doc,
		     struct edit_plan **out, char *err) SSFS_WUR;

#endif /* SSFS_EDIT_PLAN_H */
