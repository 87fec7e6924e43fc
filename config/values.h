#ifndef SSFS_CONFIG_VALUES_H
#define SSFS_CONFIG_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

/*
 * The checks of one value, shared by the config file, the command line
 * (cmd/) and the loopback listener (auth/callback.c). Pure; any thread.
 * The parsers return 0 or -EINVAL and write *out only on success.
 */

/* Digits only (no sign, no blanks), fitting in int64_t. */
int cfg_parse_int64(const char *s, int64_t *out);

/* A whole number from min to max, as cfg_parse_int64 spells it. */
int cfg_parse_seconds(const char *s, long min, long max, long *out);

/* "raw" or "display", any case. */
int cfg_parse_values(const char *s, enum cfg_values *out);

/* true/yes/on/1 or false/no/off/0, any case. */
int cfg_parse_bool(const char *s, bool *out);

/* Whether s holds a control character (below 0x20, or 0x7f). */
bool cfg_has_ctl(const char *s);

/*
 * Whether host, as curl's URL API gives it (CURLUPART_HOST: an IPv6
 * address in brackets, an IPv4 one already normalised, 127.1 ->
 * 127.0.0.1), is this machine: "localhost" (any case), 127.0.0.0/8 or
 * [::1]. Nothing else, not even ::ffff:127.0.0.1.
 */
bool cfg_host_is_loopback(const char *host);

/* http://localhost:PORT[/path] or http://127.0.0.1:PORT[/path], PORT 1 to
 * 65535: what CallbackURL may be. */
bool cfg_is_loopback_url(const char *v);

#endif /* SSFS_CONFIG_VALUES_H */
