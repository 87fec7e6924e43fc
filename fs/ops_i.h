#ifndef SSFS_FS_OPS_I_H
#define SSFS_FS_OPS_I_H

/*
 * Inside fs/: the nodes and open-file handles that ops.c (the callbacks),
 * nodes.c (paths to nodes), xattr.c and control.c (the .auth/ files)
 * share. Not for other modules.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "render/render.h"
#include "util/sbuf.h"

struct fsops_ctx;
struct cache;
struct cache_content;
struct edit;
struct scratch;

#define SHEETS_DIR "/sheets"
#define BYID_DIR "/by-id"
#define REPORTS_DIR "/reports"
#define WORKSPACES_DIR "/workspaces"
#define AUTH_DIR "/.auth"
#define AUTH_STATUS "/.auth/status"
#define AUTH_URL "/.auth/url"
#define AUTH_VERIFIER "/.auth/verifier"
#define AUTH_REFRESH "/.auth/refresh"
#define STATUS_FILE "/.status"
#define REJECTED_DIR "/.rejected"
/* What a write to .auth/verifier may hold: a code or a redirect URL. */
#define AUTH_WRITE_MAX 8192

enum node_kind {
	NODE_ROOT,
	NODE_DIR_SHEETS,
	NODE_DIR_BYID,
	NODE_DIR_REPORTS,
	NODE_DIR_WORKSPACES,
	NODE_DIR_TREE, /* a workspace or folder below /workspaces */
	NODE_DIR_AUTH,
	NODE_FILE, /* a sheet's or report's file */
	NODE_AUTH_STATUS,
	NODE_AUTH_URL,	    /* r: the authorization URL */
	NODE_AUTH_VERIFIER, /* w: a code to exchange */
	NODE_AUTH_REFRESH,  /* w: refresh now */
	/* With -o write (fs/write.c, fs/scratch.c, fs/rejected.c): */
	NODE_STATUS,	   /* /.status */
	NODE_DIR_REJECTED, /* /.rejected */
	NODE_REJECTED,	   /* /.rejected/<name> (name) */
	NODE_SCRATCH,	   /* a scratch file (the path names it) */
};

/*
 * What a path names. For a file (and a workspace or folder), the listing it
 * was found in and its place there (l, idx: a reference, released by
 * fsops_node_release), so xattrs and read-ahead can see the entry.
 */
struct node {
	enum node_kind kind;
	struct cache_ref ref; /* NODE_FILE: the sheet or report */
	enum render_fmt fmt;  /* NODE_FILE */
	enum cache_dir dir;   /* NODE_DIR_TREE: which listing it shows */
	int64_t dir_id;
	struct cache_listing *l; /* the entry's listing, or NULL */
	size_t idx;
	const char *name; /* NODE_REJECTED: points into the path */
};

/* ops.c: the context of the current FUSE operation; the cache (after a
 * SIGHUP's drop, if one is pending). */
struct fsops_ctx *fsops_ctx_now(void);
struct cache *fsops_cache(void);

/* nodes.c: path -> node (0 or -errno; on success release the node). */
int fsops_resolve(const char *path, struct node *n);
void fsops_node_release(struct node *n);
/* Whether this mount shows files of format f (.ndjson with -o ndjson). */
bool fsops_fmt_shown(const struct fsops_ctx *x, int f);
/* The entry a node was found as, or NULL (a fixed folder, a control
 * file). */
const struct cache_item *fsops_node_item(const struct node *n);
/* The path a sheet's files were last looked up at below /workspaces,
 * without extension, into buf; false when none. */
bool fsops_tree_path(int64_t id, char *buf, size_t size);
void fsops_tree_paths_release(void);

/*
 * nodes.c: libfuse keeps a file that is open when its name is removed or
 * replaced under a hidden name (".fuse_hidden..." in its folder), by a
 * rename. For a sheet's file (n) that rename only records that the hidden
 * name stands for it; fsops_resolve finds it there until the unlink that
 * libfuse sends at its last close (fsops_hidden_drop: true when it was
 * one).
 */
bool fsops_is_hidden_name(const char *path);
int fsops_hide(const char *path, const struct node *n);
bool fsops_hidden_drop(const char *path);
void fsops_hidden_release(void);

/* xattr.c */
int fsops_getxattr(const char *path, const char *name, char *value,
		   size_t size);
int fsops_listxattr(const char *path, char *list, size_t size);

/* What an open file reads from. */
struct handle {
	struct cache_content *content; /* a sheet file */
	char *text;		 /* a generated .auth file */
	size_t len;
	enum node_kind kind;
	struct sbuf in;		    /* what was written to a .auth file */
	struct handle *prev, *next; /* open_handles, under handles_lock */
	struct edit *edit;	    /* a sheet file open for writing */
	struct scratch *scratch;    /* a scratch file (a reference) */
	int fd;			    /* a rejected file's descriptor, or -1 */
};

/* ops.c: a new handle (fd -1), linked into the open handles (freed at
 * the end of the session if never released); freed (not linked). */
struct handle *fsops_handle_new(void);
void fsops_handle_link(struct handle *h);
void fsops_handle_free(struct handle *h);

#endif /* SSFS_FS_OPS_I_H */
