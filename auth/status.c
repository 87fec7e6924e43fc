/*
 * The maps of enum auth_status to an errno and to an exit status
 * (auth/status.h): one table, so that the .auth/ files, the api and the
 * subcommands cannot drift apart. Pure; any thread.
 */
#include "auth/status.h"

#include <errno.h>

#include "util/compat.h"

static const struct {
	int err;  /* negative errno */
	int exit; /* SPEC §1: 1 usage, 2 config, 3 auth, 4 unreachable */
} auth_status_map[] = {
    [AUTH_OK] = {0, 0},
    [AUTH_OK_UNSAVED] = {0, 2},
    [AUTH_REFUSED] = {-EACCES, 3},
    [AUTH_UNREACHABLE] = {-EIO, 4},
    [AUTH_TIMEOUT] = {-ETIMEDOUT, 4},
    [AUTH_NO_LOCK] = {-EIO, 2},
    [AUTH_BAD_SETTINGS] = {-EACCES, 2},
    [AUTH_OFF] = {-EPERM, 2},
    [AUTH_BAD_INPUT] = {-EACCES, 1},
    [AUTH_NOMEM] = {-ENOMEM, 3},
};

/* A value outside the enum is a bug: treat it as a refusal. */
static unsigned index_of(enum auth_status st)
{
	return (unsigned)st < SSFS_ARRAY_SIZE(auth_status_map)
		   ? (unsigned)st
		   : (unsigned)AUTH_REFUSED;
}

int auth_status_to_errno(enum auth_status st)
{
	return auth_status_map[index_of(st)].err;
}

int auth_status_to_exit(enum auth_status st)
{
	return auth_status_map[index_of(st)].exit;
}
