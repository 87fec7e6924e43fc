#ifndef SSFS_CMD_CLI_H
#define SSFS_CMD_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/*
 * What the mount and the `auth` subcommands share: exit statuses (SPEC §1),
 * loading the configuration, and the http -> auth -> api stack. Messages
 * for the user go to stderr as "smartsheetfs: ...".
 */

struct http;
struct auth;
struct api;
struct api_result;

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_CONFIG = 2,
	EXIT_AUTH = 3,
	EXIT_UNREACHABLE = 4,
	EXIT_MOUNT = 5,
};

/* Command-line values that override the file (NULL/false: not given). */
struct cli_overrides {
	const char *cache_ttl;
	const char *values;
	bool crlf;
};

/*
 * Load the configuration: the file named (config), else $SMARTSHEETFS_CONFIG
 * (both must exist), else the default one if it exists; then overrides.
 * EXIT_OK, EXIT_CONFIG, or EXIT_AUTH when only the token is missing.
 */
int cli_load_config(struct cfg *cfg, const char *config,
		    const struct cli_overrides *o);

/* http, auth (token or OAuth) and api for cfg. */
struct session {
	struct http *http;
	struct auth *auth;
	struct api *api;
};
int session_open(struct session *s, const struct cfg *cfg);
void session_close(struct session *s);

/*
 * Check the credential once (GET /users/me). EXIT_OK with *user set,
 * EXIT_AUTH (rejected), EXIT_UNREACHABLE. quiet: no message on stderr.
 */
int cli_preflight(struct api *api, char **user, struct api_result *res,
		  bool quiet);

/* `smartsheetfs auth ...`; argv[0] is the subcommand. */
int auth_command(int argc, char **argv);

/*
 * `smartsheetfs config import [--output FILE] [--force] STRING|-`; argv[0]
 * is "import". Exit status: EXIT_OK, EXIT_USAGE (bad arguments, the file
 * exists without --force), EXIT_CONFIG (the string is not a valid
 * configuration, or the file cannot be written).
 */
int config_command(int argc, char **argv);


#endif /* SSFS_CMD_CLI_H */
