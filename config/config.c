/*
 * struct cfg's life: defaults, the file (read whole, refused when a secret
 * in it is readable by others, parsed by config/ini.c), and the checks
 * after the command line (the token from the environment, what each
 * scheme needs, Region to URLs, default paths). cfg_ does not log: errors
 * go to the caller's errbuf. Called from the main thread before any other.
 */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config/ini_i.h"
#include "config/props_i.h"
#include "config/values.h"
#include "util/io.h"
#include "util/sbuf.h"

/* A config file is a few hundred bytes; anything this big is the wrong file. */
#define CFG_MAX_FILE_BYTES (1024 * 1024)
#define CFG_NO_FILE "(no config file)"
#define CFG_DEFAULT_SCOPE "READ_SHEETS"
#define CFG_DEFAULT_CALLBACK_URL "http://localhost:33333"
#define CFG_DEFAULT_REGION "US"
#define CFG_APP_DIR "smartsheetfs"

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
	c->write = false;
}

void cfg_release(struct cfg *c)
{
	free(c->path);
	cfg_str_free(c->token, true);
	free(c->client_id);
	cfg_str_free(c->client_secret, true);
	free(c->callback_url);
	free(c->scope);
	free(c->settings_location);
	cfg_str_free(c->oauth_access_token, true);
	cfg_str_free(c->oauth_refresh_token, true);
	cfg_str_free(c->oauth_verifier, true);
	free(c->region);
	free(c->base_url);
	free(c->authorize_url);
	free(c->proxy_server);
	free(c->proxy_user);
	cfg_str_free(c->proxy_password, true);
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
	return cfg_ini_parse(c, text, file, dir, NULL, errbuf, errlen);
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
	rc = cfg_ini_parse(c, text.buf, path, dir, &secret, errbuf, errlen);
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
	const struct cfg_region *r = NULL;
	const char *env;
	int rc = -EINVAL;

	io_say(errbuf, errlen, "%s", "");
	if (c->auth_scheme == CFG_AUTH_TOKEN && !c->token) {
		env = getenv("SMARTSHEET_ACCESS_TOKEN");
		if (env && *env && cfg_has_ctl(env)) {
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
	/* Exact: set_prop stores the canonical spelling. */
	r = cfg_region_find(c->region);
	if (!r || strcmp(c->region, r->name) != 0) {
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
