#ifndef SSFS_EDIT_APPLY_I_H
#define SSFS_EDIT_APPLY_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edit/apply.h"

/*
 * Inside edit/: the simulator's state (apply.c: rows, order, ids, cells)
 * and the pieces its requests (simreq.c) change it with.
 */

#define NONE (-1)

struct srow {
	int64_t id, parent;
	int32_t prev, next;
	uint32_t base;		     /* base row index; UINT32_MAX: added */
	const struct edit_prow *add; /* an added row: its request row */
	int32_t ovr;		     /* its newest override, or NONE */
	bool dead, out;		     /* deleted; taken out by a move */
};

struct ovr {
	const struct edit_cell *cell;
	int32_t next;
};

struct edit_sim {
	const struct model_sheet *s;
	struct srow *rows;
	size_t n, cap;
	struct ovr *ov;
	size_t nov, ovcap;
	int32_t head, tail;
	size_t count;
	int64_t *hkey; /* id -> row, open addressing; key 0: free */
	int32_t *hval;
	size_t hmask;
	uint32_t *mark; /* for subtrees: rows of the walk in progress */
	uint32_t stamp;
	int error;
};

/* A new row of id (not linked yet): its index, or a negative errno. */
int32_t edit_sim_new_row(struct edit_sim *sim, int64_t id, uint32_t base);
/* Link rows first..last (chained, k of them) after row at (-1: at top). */
void edit_sim_link(struct edit_sim *sim, int32_t at, int32_t first,
		   int32_t last, size_t k);
/* Unlink rows first..last (k of them) from the order. */
void edit_sim_unlink(struct edit_sim *sim, int32_t first, int32_t last,
		     size_t k);
/* The last row of i's subtree; *k: how many rows it has. Marks them
 * with a new sim->stamp in sim->mark. */
int32_t edit_sim_subtree(struct edit_sim *sim, int32_t i, size_t *k);

#endif /* SSFS_EDIT_APPLY_I_H */
