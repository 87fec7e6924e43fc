/*
 * The tables behind the config file: its sections, its properties (with
 * the section each belongs in and whether it is a secret), Smartsheet's
 * regions and access scopes, the lookups by name, and the near-miss
 * suggestion for a misspelt name. Pure, static data; any thread.
 */
#include "config/props_i.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "util/compat.h"

/* Longest property name we compare for suggestions (ours are <= 21). */
#define CFG_NAME_MAX 32
#define CFG_SUGGEST_MAX_DIST 3

static const char *const sect_names[] = {"connection", "mount"};

static const struct cfg_prop props[] = {
    {"AuthScheme", CFG_PROP_AUTH_SCHEME, CFG_SECT_CONNECTION, false},
    {"PersonalAccessToken", CFG_PROP_TOKEN, CFG_SECT_CONNECTION, true},
    {"OAuthClientId", CFG_PROP_CLIENT_ID, CFG_SECT_CONNECTION, false},
    {"OAuthClientSecret", CFG_PROP_CLIENT_SECRET, CFG_SECT_CONNECTION, true},
    {"CallbackURL", CFG_PROP_CALLBACK_URL, CFG_SECT_CONNECTION, false},
    {"Scope", CFG_PROP_SCOPE, CFG_SECT_CONNECTION, false},
    {"InitiateOAuth", CFG_PROP_INITIATE, CFG_SECT_CONNECTION, false},
    {"OAuthSettingsLocation", CFG_PROP_SETTINGS_LOCATION, CFG_SECT_CONNECTION,
     false},
    {"OAuthAccessToken", CFG_PROP_ACCESS_TOKEN, CFG_SECT_CONNECTION, true},
    {"OAuthRefreshToken", CFG_PROP_REFRESH_TOKEN, CFG_SECT_CONNECTION, true},
    {"OAuthExpiresIn", CFG_PROP_EXPIRES_IN, CFG_SECT_CONNECTION, false},
    {"OAuthTokenTimestamp", CFG_PROP_TOKEN_TIMESTAMP, CFG_SECT_CONNECTION,
     false},
    {"OAuthVerifier", CFG_PROP_VERIFIER, CFG_SECT_CONNECTION, true},
    {"Region", CFG_PROP_REGION, CFG_SECT_CONNECTION, false},
    {"BaseURL", CFG_PROP_BASE_URL, CFG_SECT_CONNECTION, false},
    {"AuthorizeURL", CFG_PROP_AUTHORIZE_URL, CFG_SECT_CONNECTION, false},
    {"Timeout", CFG_PROP_TIMEOUT, CFG_SECT_CONNECTION, false},
    {"ProxyServer", CFG_PROP_PROXY_SERVER, CFG_SECT_CONNECTION, false},
    {"ProxyPort", CFG_PROP_PROXY_PORT, CFG_SECT_CONNECTION, false},
    {"ProxyUser", CFG_PROP_PROXY_USER, CFG_SECT_CONNECTION, false},
    {"ProxyPassword", CFG_PROP_PROXY_PASSWORD, CFG_SECT_CONNECTION, true},
    {"SSLServerCert", CFG_PROP_SSL_SERVER_CERT, CFG_SECT_CONNECTION, false},
    {"CacheTTL", CFG_PROP_CACHE_TTL, CFG_SECT_MOUNT, false},
    {"Values", CFG_PROP_VALUES, CFG_SECT_MOUNT, false},
    {"CRLF", CFG_PROP_CRLF, CFG_SECT_MOUNT, false},
    {"Write", CFG_PROP_WRITE, CFG_SECT_MOUNT, false},
};

static const struct cfg_region regions[] = {
    {"US", "https://api.smartsheet.com/2.0",
     "https://app.smartsheet.com/b/authorize"},
    {"EU", "https://api.smartsheet.eu/2.0",
     "https://app.smartsheet.eu/b/authorize"},
    {"GOV", "https://api.smartsheetgov.com/2.0",
     "https://app.smartsheetgov.com/b/authorize"},
    {"AU", "https://api.smartsheet.au/2.0",
     "https://app.smartsheet.au/b/authorize"},
};

/* Smartsheet's access scopes (smartsheet-api.md, "Scopes"). */
static const char *const scopes[] = {
    "ADMIN_SHEETS",	"ADMIN_SIGHTS",	 "ADMIN_USERS",	  "ADMIN_WEBHOOKS",
    "ADMIN_WORKSPACES", "CREATE_SHEETS", "CREATE_SIGHTS", "DELETE_SHEETS",
    "DELETE_SIGHTS",	"READ_CONTACTS", "READ_EVENTS",	  "READ_SHEETS",
    "READ_SIGHTS",	"READ_USERS",	 "SHARE_SHEETS",  "SHARE_SIGHTS",
    "WRITE_SHEETS",
};

const struct cfg_prop *cfg_prop_find(const char *name)
{
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(props); i++) {
		if (!strcasecmp(props[i].name, name))
			return &props[i];
	}
	return NULL;
}

/* Section as inih passes it (untrimmed); "" is [connection]. */
bool cfg_sect_find(const char *s, size_t n, enum cfg_sect *out)
{
	size_t i;

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n) {
		*out = CFG_SECT_CONNECTION;
		return true;
	}
	for (i = 0; i < SSFS_ARRAY_SIZE(sect_names); i++) {
		if (strlen(sect_names[i]) == n &&
		    !strncasecmp(sect_names[i], s, n)) {
			*out = (enum cfg_sect)i;
			return true;
		}
	}
	return false;
}

const char *cfg_sect_name(enum cfg_sect sect)
{
	return sect_names[sect];
}

const struct cfg_region *cfg_region_find(const char *name)
{
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(regions); i++) {
		if (!strcasecmp(name, regions[i].name))
			return &regions[i];
	}
	return NULL;
}

const char *cfg_scope_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(scopes); i++) {
		if (strlen(scopes[i]) == n && !strncasecmp(scopes[i], s, n))
			return scopes[i];
	}
	return NULL;
}

/* Optimal string alignment distance, ignoring case. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t rows[3][CFG_NAME_MAX + 1];
	size_t *pp, *prev, *cur, *tmp;
	size_t n = strlen(a), m = strlen(b), i, j, cost, v;

	if (n > CFG_NAME_MAX || m > CFG_NAME_MAX)
		return SIZE_MAX;
	pp = rows[0];
	prev = rows[1];
	cur = rows[2];
	for (j = 0; j <= m; j++)
		prev[j] = j;
	for (i = 1; i <= n; i++) {
		cur[0] = i;
		for (j = 1; j <= m; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			       tolower((unsigned char)b[j - 1]);
			v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) ==
				tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
				tolower((unsigned char)b[j - 1]) &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
		tmp = pp;
		pp = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[m];
}

const char *cfg_suggest(const char *name)
{
	const char *best = NULL;
	size_t i, d, best_d = CFG_SUGGEST_MAX_DIST + 1;

	if (!name)
		return NULL;
	for (i = 0; i < SSFS_ARRAY_SIZE(props); i++) {
		d = edit_distance(name, props[i].name);
		if (d < best_d) {
			best_d = d;
			best = props[i].name;
		}
	}
	return best;
}

int cfg_property(const char *name, const char **canonical, const char **section,
		 bool *secret)
{
	const struct cfg_prop *pr = name ? cfg_prop_find(name) : NULL;

	if (!pr)
		return -ENOENT;
	if (canonical)
		*canonical = pr->name;
	if (section)
		*section = sect_names[pr->sect];
	if (secret)
		*secret = pr->secret;
	return 0;
}
