#include "config/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ini.h>
#include <openssl/crypto.h>

#include "util/io.h"
#include "util/sbuf.h"

/* A config file is a few hundred bytes; anything this big is the wrong file. */
#define CFG_MAX_FILE_BYTES (1024 * 1024)
/* Longest property name we compare for suggestions (ours are <= 21). */
#define CFG_NAME_MAX 32
#define CFG_SUGGEST_MAX_DIST 3
#define CFG_NO_FILE "(no config file)"
#define CFG_DEFAULT_SCOPE "READ_SHEETS"
#define CFG_DEFAULT_CALLBACK_URL "http://localhost:33333"
#define CFG_DEFAULT_REGION "US"
#define CFG_APP_DIR "smartsheetfs"

enum cfg_sect {
	CFG_SECT_CONNECTION = 0,
	CFG_SECT_MOUNT,
};

static const char *const sect_names[] = {"connection", "mount"};

enum cfg_prop {
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
};

struct prop {
	const char *name; /* canonical spelling, used in messages */
	enum cfg_prop id;
	enum cfg_sect sect;
	bool secret; /* never echoed; file must be 0600 */
};

static const struct prop props[] = {
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
};

struct region {
	const char *name;
	const char *base_url;
	const char *authorize_url;
};

static const struct region regions[] = {
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

/*
 * State of one parse. The reader counts lines exactly as inih does (one
 * reader call per inih line), so the handler knows the line it is on and
 * only the first error is kept, whoever finds it.
 */
struct parse {
	struct cfg *c;
	const char *file; /* name used in messages */
	const char *dir;  /* folder for relative paths; NULL: the cwd */
	const char *pos;  /* reader position in the text */
	int lineno;
	int err_line; /* 0: no error yet */
	int err_rc;
	const char *secret; /* first secret property given a value */
	char msg[CFG_ERRBUF_SIZE];
};

static int fail(struct parse *p, int rc, const char *fmt, ...)
    SSFS_PRINTF(3, 4);

static int fail(struct parse *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line)
		return rc;
	p->err_line = p->lineno > 0 ? p->lineno : 1;
	p->err_rc = rc;
	va_start(ap, fmt);
	if (vsnprintf(p->msg, sizeof(p->msg), fmt, ap) < 0)
		p->msg[0] = '\0';
	va_end(ap);
	return rc;
}

/* "expected X, got 'v'", leaving the value out for secrets. */
static int bad_value(struct parse *p, const struct prop *pr,
		     const char *expected, const char *v)
{
	if (pr->secret)
		return fail(p, -EINVAL, "%s: expected %s", pr->name, expected);
	return fail(p, -EINVAL, "%s: expected %s, got '%s'", pr->name, expected,
		    v);
}

static void free_str(char *s, bool secret)
{
	if (s && secret)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void replace_str(char **dst, char *s, bool secret)
{
	free_str(*dst, secret);
	*dst = s;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

static const struct prop *prop_find(const char *name)
{
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(props); i++) {
		if (!strcasecmp(props[i].name, name))
			return &props[i];
	}
	return NULL;
}

/* Section as inih passes it (untrimmed); "" is [connection]. */
static bool sect_find(const char *s, size_t n, enum cfg_sect *out)
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

/* Digits only (no sign, no blanks), fits in int64_t. */
static int parse_int64(const char *s, int64_t *out)
{
	int64_t v = 0;
	int d;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (v > (INT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int cfg_parse_seconds(const char *s, long min, long max, long *out)
{
	int64_t v;

	if (parse_int64(s, &v) || v < min || v > max)
		return -EINVAL;
	*out = (long)v;
	return 0;
}

int cfg_parse_values(const char *s, enum cfg_values *out)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "raw"))
		*out = CFG_VALUES_RAW;
	else if (!strcasecmp(s, "display"))
		*out = CFG_VALUES_DISPLAY;
	else
		return -EINVAL;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
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
	const struct prop *pr = name ? prop_find(name) : NULL;

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

static int set_str(struct parse *p, const struct prop *pr, char **dst,
		   const char *v)
{
	char *s = strdup(v);

	if (!s)
		return fail(p, -ENOMEM, "out of memory");
	replace_str(dst, s, pr->secret);
	return 0;
}

bool cfg_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ntohl(a4.s_addr) >> 24 == 127;
	if (n < 3 || n - 2 >= sizeof(buf) || host[0] != '[' ||
	    host[n - 1] != ']')
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/*
 * Plain http only to this machine (the tests' fake server). BaseURL would
 * carry the bearer token and the /token hash in clear text; AuthorizeURL
 * carries no secret, but the page where the user signs in and the login's
 * state would travel unprotected, and a state seen on the wire lets a web
 * page answer our loopback listener with a code of its own.
 *
 * curl parses the URL because curl is what connects: a second parser of
 * our own could read "http://127.0.0.1@evil.com" or "http://127.1" other
 * than curl does. The URL API is a pure parser (no handle, no network) and
 * needs no curl_global_init, so config/ may use it below http/.
 */
static int check_plain_http(struct parse *p, const struct prop *pr,
			    const char *v)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	CURLUcode uc;
	int rc = 0;

	if (!u)
		return fail(p, -ENOMEM, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, v, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc == CURLUE_OUT_OF_MEMORY)
		rc = fail(p, -ENOMEM, "out of memory");
	else if (uc)
		rc = bad_value(p, pr, "a valid http:// or https:// URL", v);
	else if (strcasecmp(scheme, "http") == 0 && !cfg_host_is_loopback(host))
		rc = fail(p, -EINVAL,
			  "%s: plain http would %s; only a loopback host "
			  "(localhost, 127.x.x.x, [::1]) may use it: use "
			  "https://",
			  pr->name,
			  pr->id == CFG_PROP_BASE_URL
			      ? "send the token in clear text"
			      : "expose the sign-in page and the login's "
				"state");
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/*
 * http:// (loopback only) or https://, a host, no blanks; trailing slashes
 * dropped.
 */
static int set_url(struct parse *p, const struct prop *pr, char **dst,
		   const char *v)
{
	size_t n = strlen(v), skip;
	char *s;
	int rc;

	if (!strncasecmp(v, "https://", 8))
		skip = 8;
	else if (!strncasecmp(v, "http://", 7))
		skip = 7;
	else
		skip = 0;
	while (n > skip && v[n - 1] == '/')
		n--;
	if (!skip || n == skip || v[skip] == '/' || strpbrk(v, " \t"))
		return bad_value(p, pr,
				 "a URL starting with http:// or https://", v);
	rc = check_plain_http(p, pr, v);
	if (rc)
		return rc;
	s = strndup(v, n);
	if (!s)
		return fail(p, -ENOMEM, "out of memory");
	replace_str(dst, s, false);
	return 0;
}

/* http://localhost:PORT[/path] or http://127.0.0.1:PORT[/path]. */
static bool is_loopback_url(const char *v)
{
	static const char *const hosts[] = {"localhost:", "127.0.0.1:"};
	const char *s;
	long port = 0;
	size_t i, digits = 0;

	if (strncasecmp(v, "http://", 7) != 0 || strpbrk(v, " \t"))
		return false;
	v += 7;
	for (i = 0; i < SSFS_ARRAY_SIZE(hosts); i++) {
		if (!strncasecmp(v, hosts[i], strlen(hosts[i])))
			break;
	}
	if (i == SSFS_ARRAY_SIZE(hosts))
		return false;
	for (s = v + strlen(hosts[i]); *s >= '0' && *s <= '9'; s++) {
		if (++digits > 5)
			return false;
		port = port * 10 + (*s - '0');
	}
	return digits && port >= 1 && port <= 65535 && (!*s || *s == '/');
}

/* Space-separated Smartsheet scopes, stored upper case, one space apart. */
static int set_scope(struct parse *p, const struct prop *pr, const char *v)
{
	struct sbuf sb = SBUF_INIT(0);
	const char *s = v, *e;
	size_t i, n;
	int rc = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		e = s + strcspn(s, " \t");
		n = (size_t)(e - s);
		for (i = 0; i < SSFS_ARRAY_SIZE(scopes); i++) {
			if (strlen(scopes[i]) == n &&
			    !strncasecmp(scopes[i], s, n))
				break;
		}
		if (i == SSFS_ARRAY_SIZE(scopes)) {
			rc = fail(p, -EINVAL,
				  "%s: expected Smartsheet scopes separated "
				  "by spaces (such as READ_SHEETS), got '%s'",
				  pr->name, v);
			goto out;
		}
		if ((sb.len && sbuf_addch(&sb, ' ')) ||
		    sbuf_addstr(&sb, scopes[i])) {
			rc = fail(p, -ENOMEM, "out of memory");
			goto out;
		}
		s = e;
	}
	replace_str(&p->c->scope, sbuf_detach(&sb, NULL), false);
	if (!p->c->scope)
		rc = fail(p, -ENOMEM, "out of memory");
out:
	sbuf_release(&sb);
	return rc;
}

/* "~" and "~/x" against $HOME, relative against p->dir (or the cwd). */
static int set_path(struct parse *p, const struct prop *pr, char **dst,
		    const char *v)
{
	struct sbuf sb = SBUF_INIT(PATH_MAX);
	const char *home, *base;
	char *cwd = NULL;
	int rc = 0;

	if (v[0] == '~') {
		if (v[1] && v[1] != '/') {
			rc = bad_value(p, pr,
				       "a path ('~user' is not supported)", v);
			goto out;
		}
		home = getenv("HOME");
		if (!home || !*home) {
			rc = fail(p, -EINVAL,
				  "%s: cannot expand '~': $HOME is not set",
				  pr->name);
			goto out;
		}
		rc = sbuf_addstr(&sb, home);
		/* HOME=/ and "~/x" make "/x", not "//x". */
		if (!rc && home[strlen(home) - 1] == '/' && v[1] == '/')
			v++;
		if (!rc)
			rc = sbuf_addstr(&sb, v + 1);
	} else if (v[0] == '/') {
		rc = sbuf_addstr(&sb, v);
	} else {
		base = p->dir;
		if (!base) {
			cwd = getcwd(NULL, 0);
			if (!cwd) {
				rc = fail(p, -errno,
					  "%s: cannot resolve '%s': no current "
					  "folder",
					  pr->name, v);
				goto out;
			}
			base = cwd;
		}
		rc = sbuf_addstr(&sb, base);
		if (!rc && (!sb.len || sb.buf[sb.len - 1] != '/'))
			rc = sbuf_addch(&sb, '/');
		if (!rc)
			rc = sbuf_addstr(&sb, v);
	}
	if (rc == -EFBIG) {
		rc = fail(p, -EINVAL, "%s: the path is too long", pr->name);
		goto out;
	}
	if (rc) {
		rc = fail(p, rc, "out of memory");
		goto out;
	}
	replace_str(dst, sbuf_detach(&sb, NULL), false);
	if (!*dst)
		rc = fail(p, -ENOMEM, "out of memory");
out:
	free(cwd);
	sbuf_release(&sb);
	return rc;
}

static int set_prop(struct parse *p, const struct prop *pr, const char *v)
{
	struct cfg *c = p->c;
	size_t i;
	int64_t n;
	long l;

	if (!*v)
		return fail(p, -EINVAL, "%s: expected a value", pr->name);
	if (has_ctl(v))
		return fail(p, -EINVAL,
			    "%s: the value holds a control character",
			    pr->name);
	switch (pr->id) {
	case CFG_PROP_AUTH_SCHEME:
		if (!strcasecmp(v, "PersonalAccessToken"))
			c->auth_scheme = CFG_AUTH_TOKEN;
		else if (!strcasecmp(v, "OAuth"))
			c->auth_scheme = CFG_AUTH_OAUTH;
		else
			return bad_value(p, pr, "PersonalAccessToken or OAuth",
					 v);
		return 0;
	case CFG_PROP_TOKEN:
		c->token_from_env = false;
		return set_str(p, pr, &c->token, v);
	case CFG_PROP_CLIENT_ID:
		return set_str(p, pr, &c->client_id, v);
	case CFG_PROP_CLIENT_SECRET:
		return set_str(p, pr, &c->client_secret, v);
	case CFG_PROP_CALLBACK_URL:
		if (!is_loopback_url(v))
			return bad_value(p, pr,
					 "http://localhost:PORT or "
					 "http://127.0.0.1:PORT (a loopback "
					 "address)",
					 v);
		return set_str(p, pr, &c->callback_url, v);
	case CFG_PROP_SCOPE:
		return set_scope(p, pr, v);
	case CFG_PROP_INITIATE:
		if (!strcasecmp(v, "OFF"))
			c->initiate = CFG_INITIATE_OFF;
		else if (!strcasecmp(v, "GETANDREFRESH"))
			c->initiate = CFG_INITIATE_GETANDREFRESH;
		else if (!strcasecmp(v, "REFRESH"))
			c->initiate = CFG_INITIATE_REFRESH;
		else
			return bad_value(p, pr, "OFF, GETANDREFRESH or REFRESH",
					 v);
		return 0;
	case CFG_PROP_SETTINGS_LOCATION:
		if (!strcasecmp(v, "memory://"))
			return set_str(p, pr, &c->settings_location,
				       "memory://");
		return set_path(p, pr, &c->settings_location, v);
	case CFG_PROP_ACCESS_TOKEN:
		return set_str(p, pr, &c->oauth_access_token, v);
	case CFG_PROP_REFRESH_TOKEN:
		return set_str(p, pr, &c->oauth_refresh_token, v);
	case CFG_PROP_EXPIRES_IN:
		if (parse_int64(v, &n))
			return bad_value(
			    p, pr, "a whole number of seconds (0 or more)", v);
		c->oauth_expires_in_s = n;
		return 0;
	case CFG_PROP_TOKEN_TIMESTAMP:
		if (parse_int64(v, &n))
			return bad_value(p, pr,
					 "a Unix time in milliseconds (0 or "
					 "more)",
					 v);
		c->oauth_token_timestamp_ms = n;
		return 0;
	case CFG_PROP_VERIFIER:
		return set_str(p, pr, &c->oauth_verifier, v);
	case CFG_PROP_REGION:
		for (i = 0; i < SSFS_ARRAY_SIZE(regions); i++) {
			if (!strcasecmp(v, regions[i].name))
				return set_str(p, pr, &c->region,
					       regions[i].name);
		}
		return bad_value(p, pr, "US, EU, GOV or AU", v);
	case CFG_PROP_BASE_URL:
		return set_url(p, pr, &c->base_url, v);
	case CFG_PROP_AUTHORIZE_URL:
		return set_url(p, pr, &c->authorize_url, v);
	case CFG_PROP_TIMEOUT:
		if (cfg_parse_seconds(v, 1, 3600, &l))
			return bad_value(p, pr,
					 "a whole number of seconds from 1 to "
					 "3600",
					 v);
		c->timeout_s = l;
		return 0;
	case CFG_PROP_PROXY_SERVER:
		return set_str(p, pr, &c->proxy_server, v);
	case CFG_PROP_PROXY_PORT:
		if (cfg_parse_seconds(v, 1, 65535, &l))
			return bad_value(p, pr, "a port number from 1 to 65535",
					 v);
		c->proxy_port = l;
		return 0;
	case CFG_PROP_PROXY_USER:
		return set_str(p, pr, &c->proxy_user, v);
	case CFG_PROP_PROXY_PASSWORD:
		return set_str(p, pr, &c->proxy_password, v);
	case CFG_PROP_SSL_SERVER_CERT:
		return set_path(p, pr, &c->ssl_server_cert, v);
	case CFG_PROP_CACHE_TTL:
		if (cfg_parse_seconds(v, 0, 86400, &l))
			return bad_value(p, pr,
					 "a whole number of seconds from 0 to "
					 "86400",
					 v);
		c->cache_ttl_s = l;
		return 0;
	case CFG_PROP_VALUES:
		if (cfg_parse_values(v, &c->values))
			return bad_value(p, pr, "raw or display", v);
		return 0;
	case CFG_PROP_CRLF:
		if (parse_bool(v, &c->crlf))
			return bad_value(p, pr, "true or false", v);
		return 0;
	}
	return fail(p, -EINVAL, "%s: not handled", pr->name);
}

static int handle(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse *p = user;
	const struct prop *pr = prop_find(name);
	const char *hint;
	enum cfg_sect sect;

	/* Noted even after an error: it decides the permission check. */
	if (pr && pr->secret && *value && !p->secret)
		p->secret = pr->name;
	if (p->err_line)
		return 1;
	if (!sect_find(section, strlen(section), &sect)) {
		/* The reader reports these on the header line already. */
		fail(p, -EINVAL, "unknown section [%s]", section);
		return 0;
	}
	if (!*name) {
		fail(p, -EINVAL, "a property name is missing before '='");
		return 0;
	}
	if (!pr) {
		hint = cfg_suggest(name);
		if (hint)
			fail(p, -EINVAL,
			     "unknown property '%s' (did you mean '%s'?)", name,
			     hint);
		else
			fail(p, -EINVAL, "unknown property '%s'", name);
		return 0;
	}
	if (pr->sect != sect) {
		if (*section)
			fail(p, -EINVAL, "%s belongs in [%s], not [%s]",
			     pr->name, sect_names[pr->sect], sect_names[sect]);
		else
			fail(p, -EINVAL,
			     "%s belongs in [%s]; put it after a [%s] line",
			     pr->name, sect_names[pr->sect],
			     sect_names[pr->sect]);
		return 0;
	}
	return set_prop(p, pr, value) == 0;
}

/* A "[...]" line: inih only tells the handler about sections that have
 * properties, so unknown ones are caught here, on their own line. */
static void check_section(struct parse *p, const char *line)
{
	const char *s = line + 1, *e = s;
	bool was_space = false;
	enum cfg_sect sect;

	/* Where inih ends the name: ']' or an inline ';' comment. */
	while (*e && *e != ']' && !(was_space && *e == ';')) {
		was_space = isspace((unsigned char)*e);
		e++;
	}
	if (*e != ']') {
		fail(p, -EINVAL, "missing ']' after the section name");
		return;
	}
	if (!sect_find(s, (size_t)(e - s), &sect))
		fail(
		    p, -EINVAL,
		    "unknown section [%.*s] (expected [connection] or [mount])",
		    (int)(e - s > 64 ? 64 : e - s), s);
}

/*
 * The ini_reader. It hands inih one physical line at a time, without its
 * indentation: with inih's multi-line values on (Debian's build), an
 * indented "Name = value" would otherwise silently continue the previous
 * value. A line longer than inih's buffer is refused here, because inih
 * would cut it (and the value in it) in two.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s = p->pos, *end, *nl;
	size_t len;

	if (!*s || num < 1)
		return NULL;
	nl = strchr(s, '\n');
	end = nl ? nl : s + strlen(s);
	p->pos = nl ? nl + 1 : end;
	p->lineno++;
	if (p->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	len = (size_t)(end - s);
	if (len > (size_t)num - 1) {
		fail(p, -EINVAL,
		     "line is too long (the limit is %d characters)", num - 1);
		len = 0;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	if (str[0] == '[')
		check_section(p, str);
	return str;
}

static int parse_text(struct cfg *c, const char *text, const char *file,
		      const char *dir, const char **secret, char *errbuf,
		      size_t errlen)
{
	struct parse parse;
	struct parse *p = &parse;
	int r, rc = 0;

	memset(p, 0, sizeof(*p));
	p->c = c;
	p->file = file;
	p->dir = dir;
	p->pos = text;
	r = ini_parse_stream(read_line, p, handle, p);
	if (r > 0 && (!p->err_line || r < p->err_line)) {
		/* An error only inih saw: a line with no '=' or ':'. */
		rc = -EINVAL;
		io_say(errbuf, errlen,
		       "%s:%d: expected 'Name = value' or '[section]'", file,
		       r);
	} else if (p->err_line) {
		rc = p->err_rc;
		io_say(errbuf, errlen, "%s:%d: %s", file, p->err_line, p->msg);
	} else if (r < 0) {
		rc = -ENOMEM;
		io_say(errbuf, errlen, "%s: out of memory", file);
	}
	if (secret)
		*secret = p->secret;
	return rc;
}

void cfg_init(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->auth_scheme = CFG_AUTH_TOKEN;
	c->initiate = CFG_INITIATE_GETANDREFRESH;
	c->oauth_expires_in_s = -1;
	c->oauth_token_timestamp_ms = -1;
	c->timeout_s = CFG_DEFAULT_TIMEOUT_S;
	c->cache_ttl_s = CFG_DEFAULT_CACHE_TTL_S;
	c->values = CFG_VALUES_RAW;
	c->crlf = false;
}

void cfg_release(struct cfg *c)
{
	free(c->path);
	free_str(c->token, true);
	free(c->client_id);
	free_str(c->client_secret, true);
	free(c->callback_url);
	free(c->scope);
	free(c->settings_location);
	free_str(c->oauth_access_token, true);
	free_str(c->oauth_refresh_token, true);
	free_str(c->oauth_verifier, true);
	free(c->region);
	free(c->base_url);
	free(c->authorize_url);
	free(c->proxy_server);
	free(c->proxy_user);
	free_str(c->proxy_password, true);
	free(c->ssl_server_cert);
	cfg_init(c);
}

int cfg_load_string(struct cfg *c, const char *text, const char *name,
		    const char *dir, char *errbuf, size_t errlen)
{
	const char *file = name ? name : "(string)";

	io_say(errbuf, errlen, "%s", "");
	if (!text) {
		io_say(errbuf, errlen, "%s: no text", file);
		return -EINVAL;
	}
	return parse_text(c, text, file, dir, NULL, errbuf, errlen);
}

/* Quote a path for the shell if it needs it (for the chmod hint). */
static int shell_quote(struct sbuf *sb, const char *s)
{
	int rc = 0;

	if (*s &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_./+-,=:@%") == strlen(s))
		return sbuf_addstr(sb, s);
	rc = sbuf_addch(sb, '\'');
	for (; !rc && *s; s++) {
		if (*s == '\'')
			rc = sbuf_addstr(sb, "'\\''");
		else
			rc = sbuf_addch(sb, *s);
	}
	return rc ? rc : sbuf_addch(sb, '\'');
}

static int read_all(int fd, struct sbuf *sb)
{
	ssize_t n;
	int rc;

	for (;;) {
		rc = sbuf_grow(sb, 4096);
		if (rc)
			return rc;
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (sb->len > CFG_MAX_FILE_BYTES)
			return -EFBIG;
	}
}

int cfg_load_file(struct cfg *c, const char *path, char *errbuf, size_t errlen)
{
	struct sbuf text = SBUF_INIT(0);
	struct sbuf quoted = SBUF_INIT(0);
	const char *secret = NULL;
	char *abs = NULL, *dir = NULL, *slash;
	struct stat st;
	int fd = -1, rc;

	io_say(errbuf, errlen, "%s", "");
	if (!path || !*path) {
		io_say(errbuf, errlen, "%s: no file name given", CFG_NO_FILE);
		rc = -EINVAL;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT || rc == -ENOTDIR) {
			rc = -ENOENT;
			io_say(errbuf, errlen, "%s: no such file", path);
		} else if (rc == -EACCES || rc == -EPERM) {
			rc = -EACCES;
			io_say(errbuf, errlen, "%s: permission denied", path);
		} else {
			io_say(errbuf, errlen, "%s: %s", path, strerror(-rc));
		}
		goto out;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		io_say(errbuf, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		io_say(errbuf, errlen, "%s: %s", path,
		       S_ISDIR(st.st_mode) ? "is a folder, not a file"
					   : "not a regular file");
		goto out;
	}
	rc = read_all(fd, &text);
	if (rc == -EFBIG) {
		rc = -EINVAL;
		io_say(errbuf, errlen,
		       "%s: too big for a config file (over %d "
		       "bytes)",
		       path, CFG_MAX_FILE_BYTES);
		goto out;
	}
	if (rc) {
		io_say(errbuf, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (memchr(text.buf, '\0', text.len)) {
		rc = -EINVAL;
		io_say(errbuf, errlen, "%s: not a text file (holds a NUL byte)",
		       path);
		goto out;
	}
	abs = realpath(path, NULL);
	dir = abs ? strdup(abs) : NULL;
	if (!dir) {
		rc = -errno;
		io_say(errbuf, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	/* realpath() gives "/a/b/t.ini" (or "/t.ini"): keep "/a/b" or "/". */
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	rc = parse_text(c, text.buf, path, dir, &secret, errbuf, errlen);
	/* Even with a parse error: the secret is exposed either way. */
	if (secret && (st.st_mode & 077)) {
		rc = -EACCES;
		if (shell_quote(&quoted, path))
			io_say(
			    errbuf, errlen,
			    "%s: holds a secret (%s) but is readable by others",
			    path, secret);
		else
			io_say(errbuf, errlen,
			       "%s: holds a secret (%s) but is readable by "
			       "others; run: chmod 600 %s",
			       path, secret, quoted.buf);
	}
	if (rc)
		goto out;
	free(c->path);
	c->path = abs;
	abs = NULL;
out:
	if (text.alloc)
		OPENSSL_cleanse(text.buf, text.alloc);
	sbuf_release(&text);
	sbuf_release(&quoted);
	free(dir);
	free(abs);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * $XDG_CONFIG_HOME/smartsheetfs/leaf, else $HOME/.config/smartsheetfs/leaf.
 * A relative $XDG_CONFIG_HOME is ignored (XDG Base Directory spec). New
 * string; NULL when neither is usable or out of memory.
 */
static char *xdg_config_path(const char *leaf)
{
	struct sbuf sb = SBUF_INIT(0);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int rc;

	if (xdg && xdg[0] == '/')
		rc = sbuf_addf(&sb, "%s/%s/%s", xdg, CFG_APP_DIR, leaf);
	else if (home && *home)
		rc =
		    sbuf_addf(&sb, "%s/.config/%s/%s", home, CFG_APP_DIR, leaf);
	else
		return NULL;
	if (rc)
		return NULL;
	return sbuf_detach(&sb, NULL);
}

char *cfg_default_path(void)
{
	const char *env = getenv("SMARTSHEETFS_CONFIG");

	if (env && *env)
		return strdup(env);
	return xdg_config_path("config.ini");
}

static int dup_default(char **dst, const char *v)
{
	if (*dst)
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int cfg_finish(struct cfg *c, char *errbuf, size_t errlen)
{
	const char *file = c->path ? c->path : CFG_NO_FILE;
	const struct region *r = NULL;
	const char *env;
	size_t i;
	int rc = -EINVAL;

	io_say(errbuf, errlen, "%s", "");
	if (c->auth_scheme == CFG_AUTH_TOKEN && !c->token) {
		env = getenv("SMARTSHEET_ACCESS_TOKEN");
		if (env && *env && has_ctl(env)) {
			io_say(errbuf, errlen,
			       "%s: SMARTSHEET_ACCESS_TOKEN holds a control "
			       "character",
			       file);
			goto out;
		}
		if (env && *env) {
			c->token = strdup(env);
			if (!c->token)
				goto nomem;
			c->token_from_env = true;
		}
	}
	if (c->auth_scheme == CFG_AUTH_TOKEN && !c->token) {
		io_say(
		    errbuf, errlen,
		    "%s: no PersonalAccessToken, and SMARTSHEET_ACCESS_TOKEN "
		    "is not set",
		    file);
		goto out;
	}
	if (c->auth_scheme == CFG_AUTH_OAUTH &&
	    (!c->client_id || !c->client_secret)) {
		io_say(errbuf, errlen,
		       "%s: %s is missing, needed for AuthScheme = OAuth", file,
		       !c->client_id ? "OAuthClientId" : "OAuthClientSecret");
		goto out;
	}
	if ((c->oauth_expires_in_s < 0) != (c->oauth_token_timestamp_ms < 0)) {
		io_say(errbuf, errlen, "%s: %s is missing, needed with %s",
		       file,
		       c->oauth_expires_in_s < 0 ? "OAuthExpiresIn"
						 : "OAuthTokenTimestamp",
		       c->oauth_expires_in_s < 0 ? "OAuthTokenTimestamp"
						 : "OAuthExpiresIn");
		goto out;
	}
	if (!c->proxy_server && (c->proxy_port || c->proxy_user)) {
		io_say(errbuf, errlen,
		       "%s: ProxyServer is missing, needed for %s", file,
		       c->proxy_port ? "ProxyPort" : "ProxyUser");
		goto out;
	}
	if (!c->proxy_user && c->proxy_password) {
		io_say(errbuf, errlen,
		       "%s: ProxyUser is missing, needed for ProxyPassword",
		       file);
		goto out;
	}

	if (dup_default(&c->region, CFG_DEFAULT_REGION))
		goto nomem;
	for (i = 0; i < SSFS_ARRAY_SIZE(regions); i++) {
		if (!strcmp(c->region, regions[i].name))
			r = &regions[i];
	}
	if (!r) {
		io_say(errbuf, errlen, "%s: Region: expected US, EU, GOV or AU",
		       file);
		goto out;
	}
	if (dup_default(&c->base_url, r->base_url) ||
	    dup_default(&c->authorize_url, r->authorize_url) ||
	    dup_default(&c->scope, CFG_DEFAULT_SCOPE) ||
	    dup_default(&c->callback_url, CFG_DEFAULT_CALLBACK_URL))
		goto nomem;
	if (!c->settings_location)
		c->settings_location = xdg_config_path("OAuthSettings.txt");
	if (!c->settings_location && c->auth_scheme == CFG_AUTH_OAUTH) {
		io_say(errbuf, errlen,
		       "%s: OAuthSettingsLocation is missing, needed for "
		       "AuthScheme = OAuth when $HOME is not set",
		       file);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	rc = -ENOMEM;
	io_say(errbuf, errlen, "%s: out of memory", file);
out:
	return rc;
}
