/*
 * A connection string of the reference driver ("AuthScheme=OAuth;
 * OAuthClientId=...;InitiateOAuth=REFRESH") turned into the equivalent INI
 * text, checked by loading it as the file would be. Pure text work (the
 * subcommand that writes the file is cmd/config_cmd.c). The string usually
 * holds secrets: every copy is wiped and values are never echoed. Called
 * from the main thread only.
 */
#include "config/import.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "config/props_i.h"
#include "util/file.h"
#include "util/io.h"
#include "util/sbuf.h"
#include "util/secret.h"

#define CFG_IMPORT_MAX_ITEMS 40

struct import_item {
	const char *name;    /* canonical spelling (static) */
	const char *section; /* "connection" or "mount" (static) */
	bool secret;
	char *value; /* wiped when secret */
};

struct import {
	struct import_item items[CFG_IMPORT_MAX_ITEMS];
	size_t n;
	bool secret; /* some value is a secret */
};

static void import_release(struct import *im)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		secret_free(im->items[i].value);
	im->n = 0;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Reference-driver properties that mean nothing here: its own log file and
 * levels (we log to stderr or syslog; -o verbose). Accepted with a note.
 */
static bool ignorable(const char *name)
{
	static const char *const names[] = {
	    "Logfile",	      "Verbosity",	 "LogModules",
	    "MaxLogFileSize", "MaxLogFileCount",
	};
	size_t i;

	for (i = 0; i < SSFS_ARRAY_SIZE(names); i++)
		if (!strcasecmp(names[i], name))
			return true;
	return false;
}

/* SSLServerCert and OAuthSettingsLocation were relative to the driver's
 * working folder; the INI file reads them relative to its own folder. */
static int absolute_path(const char *name, char **value)
{
	char cwd[4096];
	char *abs = NULL;

	if (strcmp(name, "SSLServerCert") != 0 &&
	    strcmp(name, "OAuthSettingsLocation") != 0)
		return 0;
	if ((*value)[0] == '/' || (*value)[0] == '~' ||
	    strncmp(*value, "memory://", 9) == 0)
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	if (asprintf(&abs, "%s/%s", cwd,
		     strncmp(*value, "./", 2) ? *value : *value + 2) < 0)
		return -ENOMEM;
	free(*value);
	*value = abs;
	return 0;
}

static int add_item(struct import *im, const char *name, size_t name_len,
		    const char *value, size_t value_len, char *err,
		    size_t errlen)
{
	struct import_item *it;
	const char *canon, *section, *hint;
	char key[64];
	bool secret;
	size_t i;
	int rc;

	if (!name_len || name_len >= sizeof(key)) {
		io_say(err, errlen, "item %zu: expected Name=Value", im->n + 1);
		return -EINVAL;
	}
	memcpy(key, name, name_len);
	key[name_len] = '\0';
	if (cfg_property(key, &canon, &section, &secret)) {
		if (ignorable(key)) {
			fprintf(stderr,
				"smartsheetfs: config import: ignoring %s "
				"(messages go to stderr or syslog; see -o "
				"verbose)\n",
				key);
			return 0;
		}
		hint = cfg_suggest(key);
		io_say(err, errlen, "unknown property '%s'%s%s%s", key,
		       hint ? " (did you mean '" : "", hint ? hint : "",
		       hint ? "'?)" : "");
		return -EINVAL;
	}
	if (!value_len)
		return 0; /* "Name=" leaves the default */
	for (i = 0; i < im->n; i++) {
		if (im->items[i].name == canon) {
			io_say(err, errlen, "%s is given twice", canon);
			return -EINVAL;
		}
	}
	if (im->n == CFG_IMPORT_MAX_ITEMS) {
		io_say(err, errlen, "too many properties");
		return -EINVAL;
	}
	for (i = 0; i < value_len; i++) {
		if (value[i] == '\n' || value[i] == '\r' || value[i] == '\0') {
			io_say(err, errlen, "the value of %s spans lines",
			       canon);
			return -EINVAL;
		}
		/* inih reads " ;" as the start of a comment. */
		if (value[i] == ';' && i &&
		    (value[i - 1] == ' ' || value[i - 1] == '\t')) {
			io_say(
			    err, errlen,
			    "the value of %s holds a blank before ';', which "
			    "an "
			    "INI file reads as a comment",
			    canon);
			return -EINVAL;
		}
	}
	it = &im->items[im->n];
	it->value = strndup(value, value_len);
	if (!it->value)
		return -ENOMEM;
	it->name = canon;
	it->section = section;
	it->secret = secret;
	im->n++;
	im->secret |= secret;
	rc = absolute_path(canon, &it->value);
	if (rc)
		io_say(err, errlen, "%s: %s", canon, strerror(-rc));
	return rc;
}

/* A quoted value: 'it''s' or "say ""hi""" (the quote doubled inside). The
 * unquoted text goes to *out (new string); *pp moves past the closing
 * quote. */
static int read_quoted(const char **pp, char **out, size_t *out_len)
{
	const char *p = *pp;
	char q = *p++;
	char *v = malloc(strlen(p) + 1);
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (;;) {
		if (!*p) {
			OPENSSL_cleanse(v, n);
			free(v);
			return -EINVAL;
		}
		if (*p == q && p[1] == q) {
			v[n++] = q;
			p += 2;
		} else if (*p == q) {
			p++;
			break;
		} else {
			v[n++] = *p++;
		}
	}
	v[n] = '\0';
	*pp = p;
	*out = v;
	*out_len = n;
	return 0;
}

/*
 * Split "Name=Value;Name='a;b';..." into im. Names are case-insensitive;
 * blanks around names and unquoted values are dropped.
 */
static int parse_conn(struct import *im, const char *s, char *err,
		      size_t errlen)
{
	const char *p = s, *name, *name_end, *v, *v_end;
	char *quoted = NULL;
	size_t qlen = 0;
	int rc;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (!*p)
			return 0;
		name = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		if (*p != '=') {
			io_say(err, errlen, "item %zu: expected Name=Value",
			       im->n + 1);
			return -EINVAL;
		}
		name_end = p;
		while (name_end > name &&
		       (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		p = skip_blank(p + 1);
		if (*p == '\'' || *p == '"') {
			rc = read_quoted(&p, &quoted, &qlen);
			if (rc) {
				io_say(err, errlen,
				       "item %zu: a quote is not closed",
				       im->n + 1);
				return rc;
			}
			p = skip_blank(p);
			if (*p && *p != ';') {
				secret_free(quoted);
				io_say(err, errlen,
				       "item %zu: text after a closing quote",
				       im->n + 1);
				return -EINVAL;
			}
			rc = add_item(im, name, (size_t)(name_end - name),
				      quoted, qlen, err, errlen);
			secret_free(quoted);
			quoted = NULL;
		} else {
			v = p;
			while (*p && *p != ';')
				p++;
			v_end = p;
			while (v_end > v &&
			       (v_end[-1] == ' ' || v_end[-1] == '\t'))
				v_end--;
			rc = add_item(im, name, (size_t)(name_end - name), v,
				      (size_t)(v_end - v), err, errlen);
		}
		if (rc)
			return rc;
	}
}

static int write_ini(const struct import *im, struct sbuf *ini)
{
	static const char *const sections[] = {"connection", "mount"};
	size_t s, i;
	bool any;
	int rc;

	rc = sbuf_addstr(ini, "; smartsheetfs configuration, made by "
			      "`smartsheetfs config import`\n");
	for (s = 0; !rc && s < SSFS_ARRAY_SIZE(sections); s++) {
		any = false;
		for (i = 0; !rc && i < im->n; i++) {
			if (strcmp(im->items[i].section, sections[s]) != 0)
				continue;
			if (!any)
				rc = sbuf_addf(ini, "%s[%s]\n", s ? "\n" : "",
					       sections[s]);
			any = true;
			if (!rc)
				rc = sbuf_addf(ini, "%s = %s\n",
					       im->items[i].name,
					       im->items[i].value);
		}
	}
	return rc;
}

/* The folder part of path, "." when there is none. New string. */
/* "FILE:LINE: what" and "(no config file): what" name a file that does
 * not exist yet: keep "what". */
static void drop_location(char *err, const char *path)
{
	static const char nofile[] = "(no config file): ";
	size_t n = strlen(path);
	char *p = NULL;

	if (strncmp(err, nofile, sizeof(nofile) - 1) == 0) {
		p = err + sizeof(nofile) - 1;
	} else if (strncmp(err, path, n) == 0 && err[n] == ':') {
		p = err + n + 1;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == ':')
			p++;
		while (*p == ' ')
			p++;
	}
	if (p)
		memmove(err, p, strlen(p) + 1);
}

int cfg_import_string(const char *conn, const char *path, struct sbuf *ini,
		      bool *secret, char *err, size_t errlen)
{
	struct import im = {.n = 0};
	struct cfg cfg;
	char *dir = NULL;
	int rc;

	*secret = false;
	rc = parse_conn(&im, conn, err, errlen);
	*secret = im.secret;
	if (rc)
		goto out;
	if (!im.n) {
		io_say(err, errlen, "the connection string sets no property");
		rc = -EINVAL;
		goto out;
	}
	/* Room for everything up front: a realloc would leave copies of
	 * the secrets behind. */
	rc = sbuf_grow(ini, CFG_IMPORT_INI_MAX_BYTES - 1);
	if (!rc)
		rc = write_ini(&im, ini);
	if (rc) {
		io_say(err, errlen, "%s", strerror(-rc));
		goto out;
	}
	dir = file_dirname(path);
	if (!dir) {
		rc = -ENOMEM;
		goto out;
	}
	cfg_init(&cfg);
	rc = cfg_load_string(&cfg, ini->buf, path, dir, err, errlen);
	if (!rc)
		rc = cfg_finish(&cfg, err, errlen);
	cfg_release(&cfg);
	if (rc)
		drop_location(err, path);
out:
	free(dir);
	import_release(&im);
	return rc;
}
