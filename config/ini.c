/*
 * The config file's text into struct cfg: inih reads the lines (through
 * our reader, which counts them, drops indentation and refuses lines too
 * long), the handler checks section and name against config/props.c and
 * each setter checks and stores one value. The first error is kept as
 * "FILE:LINE: message"; secrets never appear in it. Main thread only.
 */
#include "config/ini_i.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ini.h>
#include <openssl/crypto.h>

#include "config/config.h"
#include "config/props_i.h"
#include "config/values.h"
#include "util/io.h"
#include "util/sbuf.h"

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
static int bad_value(struct parse *p, const struct cfg_prop *pr,
		     const char *expected, const char *v)
{
	if (pr->secret)
		return fail(p, -EINVAL, "%s: expected %s", pr->name, expected);
	return fail(p, -EINVAL, "%s: expected %s, got '%s'", pr->name, expected,
		    v);
}

void cfg_str_free(char *s, bool secret)
{
	if (s && secret)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void replace_str(char **dst, char *s, bool secret)
{
	cfg_str_free(*dst, secret);
	*dst = s;
}

static int set_str(struct parse *p, const struct cfg_prop *pr, char **dst,
		   const char *v)
{
	char *s = strdup(v);

	if (!s)
		return fail(p, -ENOMEM, "out of memory");
	replace_str(dst, s, pr->secret);
	return 0;
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
static int check_plain_http(struct parse *p, const struct cfg_prop *pr,
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
static int set_url(struct parse *p, const struct cfg_prop *pr, char **dst,
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

/* Space-separated Smartsheet scopes, stored upper case, one space apart. */
static int set_scope(struct parse *p, const struct cfg_prop *pr, const char *v)
{
	struct sbuf sb = SBUF_INIT(0);
	const char *s = v, *e, *scope;
	int rc = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		e = s + strcspn(s, " \t");
		scope = cfg_scope_find(s, (size_t)(e - s));
		if (!scope) {
			rc = fail(p, -EINVAL,
				  "%s: expected Smartsheet scopes separated "
				  "by spaces (such as READ_SHEETS), got '%s'",
				  pr->name, v);
			goto out;
		}
		if ((sb.len && sbuf_addch(&sb, ' ')) ||
		    sbuf_addstr(&sb, scope)) {
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
static int set_path(struct parse *p, const struct cfg_prop *pr, char **dst,
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

static int set_prop(struct parse *p, const struct cfg_prop *pr, const char *v)
{
	const struct cfg_region *region;
	struct cfg *c = p->c;
	int64_t n;
	long l;

	if (!*v)
		return fail(p, -EINVAL, "%s: expected a value", pr->name);
	if (cfg_has_ctl(v))
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
		if (!cfg_is_loopback_url(v))
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
		if (cfg_parse_int64(v, &n))
			return bad_value(
			    p, pr, "a whole number of seconds (0 or more)", v);
		c->oauth_expires_in_s = n;
		return 0;
	case CFG_PROP_TOKEN_TIMESTAMP:
		if (cfg_parse_int64(v, &n))
			return bad_value(p, pr,
					 "a Unix time in milliseconds (0 or "
					 "more)",
					 v);
		c->oauth_token_timestamp_ms = n;
		return 0;
	case CFG_PROP_VERIFIER:
		return set_str(p, pr, &c->oauth_verifier, v);
	case CFG_PROP_REGION:
		region = cfg_region_find(v);
		if (!region)
			return bad_value(p, pr, "US, EU, GOV or AU", v);
		return set_str(p, pr, &c->region, region->name);
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
		if (cfg_parse_bool(v, &c->crlf))
			return bad_value(p, pr, "true or false", v);
		return 0;
	case CFG_PROP_WRITE:
		if (cfg_parse_bool(v, &c->write))
			return bad_value(p, pr, "true or false", v);
		return 0;
	}
	return fail(p, -EINVAL, "%s: not handled", pr->name);
}

static int handle(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse *p = user;
	const struct cfg_prop *pr = cfg_prop_find(name);
	const char *hint;
	enum cfg_sect sect;

	/* Noted even after an error: it decides the permission check. */
	if (pr && pr->secret && *value && !p->secret)
		p->secret = pr->name;
	if (p->err_line)
		return 1;
	if (!cfg_sect_find(section, strlen(section), &sect)) {
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
			     pr->name, cfg_sect_name(pr->sect),
			     cfg_sect_name(sect));
		else
			fail(p, -EINVAL,
			     "%s belongs in [%s]; put it after a [%s] line",
			     pr->name, cfg_sect_name(pr->sect),
			     cfg_sect_name(pr->sect));
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
	if (!cfg_sect_find(s, (size_t)(e - s), &sect))
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

int cfg_ini_parse(struct cfg *c, const char *text, const char *file,
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
