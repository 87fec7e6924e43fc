#ifndef SSFS_FS_OPS_I_H
#define SSFS_FS_OPS_I_H

/*
 * Inside fs/: the nodes and open-file handles that ops.c (the tree and the
 * sheet files) and control.c (the .auth/ files) share. Not for other
 * modules.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render/render.h"
#include "util/sbuf.h"

struct fsops_ctx;
struct cache_content;

#define SHEETS_DIR "/sheets"
#define BYID_DIR "/by-id"
#define AUTH_DIR "/.auth"
#define AUTH_STATUS "/.auth/status"
#define AUTH_URL "/.auth/url"
#define AUTH_VERIFIER "/.auth/verifier"
#define AUTH_REFRESH "/.auth/refresh"
/* What a write to .auth/verifier may hold: a code or a redirect URL. */
#define AUTH_WRITE_MAX 8192

enum node_kind {
	NODE_ROOT,
	NODE_DIR_SHEETS,
	NODE_DIR_BYID,
	NODE_DIR_AUTH,
	NODE_SHEET,
	NODE_AUTH_STATUS,
	NODE_AUTH_URL,	    /* r: the authorization URL */
	NODE_AUTH_VERIFIER, /* w: a code to exchange */
	NODE_AUTH_REFRESH,  /* w: refresh now */
};

struct node {
	enum node_kind kind;
	int64_t id;
	enum render_fmt fmt;
	int64_t mtime_s; /* from the sheet list */
};

/* What an open file reads from. */
struct handle {
	struct cache_content *content; /* a sheet file */
	char *text;		 /* a generated .auth file */
	size_t len;
	enum node_kind kind;
	struct sbuf in;		    /* what was written to a .auth file */
	struct handle *prev, *next; /* open_handles, under handles_lock */
};

#endif /* SSFS_FS_OPS_I_H */
