#ifndef SSFS_CONFIG_CONFIG_H
#define SSFS_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * Connection properties and mount options (SPEC §2). cfg_ does not log: on
 * failure it returns -EINVAL (or -ENOENT / -EACCES for the file itself) and
 * writes a one-line message ("FILE:LINE: what is wrong") to errbuf.
 *
 * Precedence: built-in defaults < INI file < command line (the caller applies
 * command-line values after cfg_load*). All strings are owned by the cfg and
 * freed by cfg_release(); secrets are wiped there.
 */

#define CFG_ERRBUF_SIZE 512
#define CFG_DEFAULT_TIMEOUT_S 60
#define CFG_DEFAULT_CACHE_TTL_S 30

enum cfg_auth_scheme {
	CFG_AUTH_TOKEN = 0, /* PersonalAccessToken */
	CFG_AUTH_OAUTH,
};

enum cfg_initiate {
	CFG_INITIATE_GETANDREFRESH = 0,
	CFG_INITIATE_OFF,
	CFG_INITIATE_REFRESH,
};

enum cfg_values {
	CFG_VALUES_RAW = 0,
	CFG_VALUES_DISPLAY,
};

struct cfg {
	char *path; /* absolute path of the file read, NULL if none */

	/* [connection] */
	enum cfg_auth_scheme auth_scheme;
	char *token;          /* PersonalAccessToken (secret) */
	bool token_from_env;  /* token came from SMARTSHEET_ACCESS_TOKEN */
	char *client_id;      /* OAuthClientId */
	char *client_secret;  /* OAuthClientSecret (secret) */
	char *callback_url;   /* CallbackURL */
	char *scope;          /* Scope, default "READ_SHEETS" */
	enum cfg_initiate initiate;
	char *settings_location; /* OAuthSettingsLocation (absolute, or "memory://") */
	char *oauth_access_token;  /* secret */
	char *oauth_refresh_token; /* secret */
	int64_t oauth_expires_in_s;     /* -1 unset */
	int64_t oauth_token_timestamp_ms; /* -1 unset */
	char *oauth_verifier;      /* secret */
	char *region;         /* US, EU, GOV, AU (upper case) */
	char *base_url;       /* API base without trailing slash (from Region or BaseURL) */
	char *authorize_url;  /* from Region or AuthorizeURL */
	long timeout_s;
	char *proxy_server;
	long proxy_port;      /* 0 unset */
	char *proxy_user;
	char *proxy_password; /* secret */
	char *ssl_server_cert; /* absolute path */

	/* [mount] */
	long cache_ttl_s;
	enum cfg_values values;
	bool crlf;
	bool write; /* Write: write-back (SPEC §8), as -o write */
};

/* Defaults; no file read. */
void cfg_init(struct cfg *c);
void cfg_release(struct cfg *c);

/*
 * Read the INI file at path. A missing file is -ENOENT. A file holding a
 * secret that group or others can read is refused (-EACCES, with the chmod
 * hint). Unknown names, bad values: -EINVAL with FILE:LINE. Relative paths
 * in values are resolved against the file's folder; "~" against $HOME.
 */
int cfg_load_file(struct cfg *c, const char *path, char *errbuf,
		  size_t errlen) SSFS_WUR;

/* The same from a string (for tests); name is used in messages and dir for
 * relative paths. No permission check. */
int cfg_load_string(struct cfg *c, const char *text, const char *name,
		    const char *dir, char *errbuf, size_t errlen) SSFS_WUR;

/*
 * After loading (and after the command line): take the token from
 * $SMARTSHEET_ACCESS_TOKEN when none is configured, derive base_url and
 * authorize_url from region, and check that what the scheme needs is there
 * ("FILE: ... is missing, needed for ..."). -EINVAL with a message.
 */
int cfg_finish(struct cfg *c, char *errbuf, size_t errlen) SSFS_WUR;

/*
 * The config path to use when none was given: $SMARTSHEETFS_CONFIG, else
 * $XDG_CONFIG_HOME/smartsheetfs/config.ini, else ~/.config/... New string,
 * caller frees; NULL when HOME is unknown.
 */
char *cfg_default_path(void);

#endif /* SSFS_CONFIG_CONFIG_H */
