#ifndef SSFS_CONFIG_INI_I_H
#define SSFS_CONFIG_INI_I_H

#include <stdbool.h>
#include <stddef.h>

struct cfg;

/*
 * INI text to struct cfg (config/ini.c), for config/config.c.
 */

/*
 * Parse text (NUL-terminated) into c, later values replacing earlier ones.
 * file names it in messages; dir is the folder relative paths are resolved
 * against (NULL: the current one). 0, or -EINVAL / -ENOMEM with
 * "FILE:LINE: what is wrong" in errbuf (only the first error is reported).
 * *secret (may be NULL) is set to the name of the first secret property
 * given a value, or NULL, even on failure.
 */
int cfg_ini_parse(struct cfg *c, const char *text, const char *file,
		  const char *dir, const char **secret, char *errbuf,
		  size_t errlen);

/* Free a string of struct cfg, wiping it first when it is a secret. */
void cfg_str_free(char *s, bool secret);

#endif /* SSFS_CONFIG_INI_I_H */
