#ifndef SSFS_CMD_PATHS_H
#define SSFS_CMD_PATHS_H

#include <stdint.h>

/*
 * What the mount's options name (cmd/paths.c): sizes, folders, and the
 * account's namespace (the disk cache's and the state folder's subfolder).
 */

struct cfg;

/* "500M", "2G", "1048576": bytes. 0 or -EINVAL. */
int mount_parse_size(const char *s, uint64_t *out);

/* dir made absolute against the current folder (the daemon runs from "/"
 * once in the background): a new string, NULL when out of memory. */
char *mount_absolute(const char *dir);

/* $XDG_CACHE_HOME/smartsheetfs, else ~/.cache/smartsheetfs; NULL when
 * HOME is unknown. New string. */
char *mount_default_cache_dir(void);

/* Which account the files belong to, as 16 hex digits, without asking the
 * network: SHA-256 over the API base and the credential's identity. */
void mount_namespace(const struct cfg *cfg, char ns[17]);

/* $XDG_STATE_HOME/smartsheetfs/<ns>, else
 * ~/.local/state/smartsheetfs/<ns>; NULL when HOME is unknown. */
char *mount_default_state_dir(const char *ns);

#endif /* SSFS_CMD_PATHS_H */
