#ifndef SSFS_AUTH_LOGIN_H
#define SSFS_AUTH_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "auth/status.h"
#include "util/compat.h"

/*
 * The desktop OAuth flow (`smartsheetfs auth login`, and a GETANDREFRESH
 * mount with no tokens and a display): listen on the loopback CallbackURL,
 * print the authorization URL (and open it with xdg-open when asked and
 * available), wait a bounded time for the browser's redirect (only one
 * that carries this login's `state` counts: the listener answers others
 * 400 and keeps waiting), and exchange the code through auth_exchange
 * (which checks the state again and saves the tokens). Messages for the
 * user go to tell.
 *
 * The outcomes of auth_exchange, or, with a reason in err: AUTH_TIMEOUT
 * (nobody came back in time), AUTH_REFUSED (cancelled, or the listener
 * cannot start: the port is taken), AUTH_BAD_INPUT (a bad CallbackURL),
 * AUTH_NOMEM.
 */

struct auth;

enum auth_status login_run(struct auth *a, const char *callback_url,
			   int timeout_s, bool open_browser, FILE *tell,
			   char *err, size_t errlen) SSFS_WUR;

/* Make a running login_run return AUTH_REFUSED, "login cancelled"
 * (async-signal-safe). */
void login_cancel(void);

#endif /* SSFS_AUTH_LOGIN_H */
