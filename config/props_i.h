#ifndef SSFS_CONFIG_PROPS_I_H
#define SSFS_CONFIG_PROPS_I_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The names a config file may use (config/props.c): its two sections, its
 * properties, Smartsheet's regions and access scopes. Static tables: every
 * pointer returned points into them and lives as long as the program.
 * Lookups ignore case. Pure; any thread.
 */

enum cfg_sect {
	CFG_SECT_CONNECTION = 0,
	CFG_SECT_MOUNT,
};

enum cfg_prop_id {
	CFG_PROP_AUTH_SCHEME,
	CFG_PROP_TOKEN,
	CFG_PROP_CLIENT_ID,
	CFG_PROP_CLIENT_SECRET,
	CFG_PROP_CALLBACK_URL,
	CFG_PROP_SCOPE,
	CFG_PROP_INITIATE,
	CFG_PROP_SETTINGS_LOCATION,
	CFG_PROP_ACCESS_TOKEN,
	CFG_PROP_REFRESH_TOKEN,
	CFG_PROP_EXPIRES_IN,
	CFG_PROP_TOKEN_TIMESTAMP,
	CFG_PROP_VERIFIER,
	CFG_PROP_REGION,
	CFG_PROP_BASE_URL,
	CFG_PROP_AUTHORIZE_URL,
	CFG_PROP_TIMEOUT,
	CFG_PROP_PROXY_SERVER,
	CFG_PROP_PROXY_PORT,
	CFG_PROP_PROXY_USER,
	CFG_PROP_PROXY_PASSWORD,
	CFG_PROP_SSL_SERVER_CERT,
	CFG_PROP_CACHE_TTL,
	CFG_PROP_VALUES,
	CFG_PROP_CRLF,
	CFG_PROP_WRITE,
};

struct cfg_prop {
	const char *name; /* canonical spelling, used in messages */
	enum cfg_prop_id id;
	enum cfg_sect sect;
	bool secret; /* never echoed; file must be 0600 */
};

struct cfg_region {
	const char *name; /* upper case */
	const char *base_url;
	const char *authorize_url;
};

/* The property called name, or NULL. */
const struct cfg_prop *cfg_prop_find(const char *name);

/* The section called s (n bytes, as inih passes it: blanks around it are
 * ignored; "" is [connection]). false for an unknown name. */
bool cfg_sect_find(const char *s, size_t n, enum cfg_sect *out);

/* "connection" or "mount". */
const char *cfg_sect_name(enum cfg_sect sect);

/* The region called name (US, EU, GOV, AU), or NULL. */
const struct cfg_region *cfg_region_find(const char *name);

/* The canonical spelling of the access scope s (n bytes), or NULL. */
const char *cfg_scope_find(const char *s, size_t n);

/* The known property name closest to name (edit distance <= 3), or NULL. */
const char *cfg_suggest(const char *name);

/*
 * The property called name (any case): its canonical spelling, the section
 * it belongs in ("connection" or "mount") and whether it holds a secret.
 * 0, or -ENOENT for an unknown name. Outputs may be NULL; the strings are
 * static.
 */
int cfg_property(const char *name, const char **canonical, const char **section,
		 bool *secret);

#endif /* SSFS_CONFIG_PROPS_I_H */
