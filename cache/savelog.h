#ifndef SSFS_CACHE_SAVELOG_H
#define SSFS_CACHE_SAVELOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"
#include "util/sbuf.h"

/*
 * The write-back results behind .status (SPEC §8): the last
 * SAVELOG_KEEP saves and appends, newest first, one line each. Thread-safe
 * (one mutex); every result is also logged by whoever adds it.
 */

#define SAVELOG_KEEP 50

/* Rows by what happened to them. */
struct savelog_rows {
	size_t added, changed, moved, deleted;
};

struct savelog_entry {
	int64_t wall_ms;        /* when the save ended */
	char path[512];         /* the file in the mount ("sheets/X.csv") */
	struct savelog_rows landed;  /* what Smartsheet applied */
	struct savelog_rows planned; /* what the save meant to do */
	unsigned requests;      /* requests made (the version check too) */
	int err;                /* 0, or the -errno the writer got */
	int error_code;         /* Smartsheet's errorCode, 0 if none */
	char message[320];      /* why, when it failed: Smartsheet's message
				 * or the daemon's own ("line 3, column ...") */
	char ref_id[64];        /* Smartsheet's refId, "" if none */
	char rejected[256];     /* the text's name under .rejected/, "" */
	int unknown;            /* a request's outcome is not known */
};

struct savelog;

struct savelog *savelog_new(void);
void savelog_free(struct savelog *l);

/* Keep a copy of e (the oldest beyond SAVELOG_KEEP is dropped). */
void savelog_add(struct savelog *l, const struct savelog_entry *e);

/* The text of .status, newest first, appended to out. 0 or -ENOMEM. */
int savelog_render(struct savelog *l, struct sbuf *out) SSFS_WUR;

/* One entry's line (no line end), for the log and the tests. */
int savelog_line(const struct savelog_entry *e, struct sbuf *out) SSFS_WUR;

#endif /* SSFS_CACHE_SAVELOG_H */
