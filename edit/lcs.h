#ifndef SSFS_EDIT_LCS_H
#define SSFS_EDIT_LCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Common subsequences for the row diff. Rows are given as class numbers
 * (equal rows, equal classes: edit/diff.c makes them); EDIT_LCS_NONE is a
 * row that matches nothing. Pure; any thread.
 *
 * edit_lcs is exact (a longest common subsequence) by Hunt and
 * Szymanski's algorithm, the one of the first Unix diff, after the common
 * head and tail are cut off: O((r + n) log n) for r pairs of equal rows in
 * the rest, so a sheet sorted anew (every row unique) costs n log n where
 * Myers's O(nd) would cost n^2. When the rest holds so many duplicate rows
 * that r passes 8 (n + m) + 4096, it settles for a common subsequence that
 * pairs the k-th copy of a row with its k-th copy (then longest
 * increasing): never wrong (every pair is equal rows, in order), only
 * maybe not longest. Deterministic either way.
 */

#define EDIT_LCS_NONE UINT32_MAX

/*
 * a (na rows, the base) against b (nb rows, the new text): b_to_a[j] is
 * the a index row j of b is matched with, or EDIT_LCS_NONE; matches are
 * increasing in both. nclasses bounds the class numbers. 0 or -ENOMEM.
 */
int edit_lcs(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
	     uint32_t nclasses, uint32_t *b_to_a) SSFS_WUR;

/*
 * A longest strictly increasing subsequence of v (n values; EDIT_LCS_NONE
 * ones are skipped): keep[i] true for its members; ties go to the earliest
 * values. 0 or -ENOMEM.
 */
int edit_lis(const uint32_t *v, size_t n, bool *keep) SSFS_WUR;

#endif /* SSFS_EDIT_LCS_H */
