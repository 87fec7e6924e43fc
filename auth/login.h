#ifndef SSFS_AUTH_LOGIN_H
#define SSFS_AUTH_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
 * 0, -ETIMEDOUT (nobody came back in time), -EINTR (cancelled), or the
 * errors of callback_start and auth_exchange, with a reason in err.
 */

struct auth;

int login_run(struct auth *a, const char *callback_url, int timeout_s,
	      bool open_browser, FILE *tell, char *err, size_t errlen) SSFS_WUR;

/* Make a running login_run return -EINTR (async-signal-safe). */
void login_cancel(void);

#endif /* SSFS_AUTH_LOGIN_H */
