/*
 * Folders and sizes the mount's options name (cmd/paths.h): sizes such
 * as 500M, folders made absolute, the account's namespace hash, and the
 * default cache and state folders. Main thread, before the mount.
 */
#include "cmd/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config/config.h"
#include "util/io.h"

/* "500M", "2G", "1048576": bytes. 0 or -EINVAL. */
int mount_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'T':
	case 't':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (*end || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A folder given on the command line, made absolute: the daemon runs
 * from "/" once it is in the background. NULL when out of memory. */
char *mount_absolute(const char *dir)
{
	char cwd[PATH_MAX];
	char *p = NULL;

	if (dir[0] == '/')
		return strdup(dir);
	if (getcwd(cwd, sizeof(cwd)) && asprintf(&p, "%s/%s", cwd, dir) < 0)
		p = NULL;
	return p;
}

/* $XDG_CACHE_HOME/smartsheetfs, else ~/.cache/smartsheetfs. */
char *mount_default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&p, "%s/smartsheetfs", xdg) < 0)
			p = NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.cache/smartsheetfs", home) < 0)
			p = NULL;
	}
	return p;
}

/*
 * Which account the files belong to, without asking the network (an
 * offline mount must find them): hex of SHA-256 over the API base and the
 * credential's identity (the personal token, or the OAuth client and its
 * settings file). Nothing about the token can be read back from it.
 */
void mount_namespace(const struct cfg *cfg, char ns[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *id1 =
	    cfg->auth_scheme == CFG_AUTH_OAUTH ? cfg->client_id : cfg->token;
	const char *id2 =
	    cfg->auth_scheme == CFG_AUTH_OAUTH ? cfg->settings_location : "";

	snprintf(ns, 17, "%s", "0000000000000000");
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, cfg->base_url, strlen(cfg->base_url)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, id1 ? id1 : "", id1 ? strlen(id1) : 0) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, id2 ? id2 : "", id2 ? strlen(id2) : 0) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n >= 8)
		io_hex(md, 8, ns);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
}

/* $XDG_STATE_HOME/smartsheetfs/<ns>, else
 * ~/.local/state/smartsheetfs/<ns>; NULL when HOME is unknown. */
char *mount_default_state_dir(const char *ns)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&p, "%s/smartsheetfs/%s", xdg, ns) < 0)
			p = NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.local/state/smartsheetfs/%s", home, ns) <
		    0)
			p = NULL;
	}
	return p;
}
