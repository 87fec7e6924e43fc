#ifndef SSFS_AUTH_STATUS_H
#define SSFS_AUTH_STATUS_H

/*
 * The outcome of an authorization step (auth_start, auth_exchange,
 * auth_refresh_now, auth_remember_state, login_run): one value for each
 * case a caller treats differently, and the one map of them to an errno
 * (what a write to .auth/verifier or .auth/refresh fails with, and what
 * auth_get_bearer and auth_rejected hand the api) and to an exit status of
 * SPEC §1 (the subcommands and the mount). The reason for the user travels
 * beside it, in the caller's err buffer.
 */
enum auth_status {
	AUTH_OK = 0,
	/* Tokens obtained and in use, but the settings file could not be
	 * written: they are lost at unmount (the status and err say why). */
	AUTH_OK_UNSAVED,
	/* No usable credential: Smartsheet refused the code or refresh token,
	 * the user denied access, a pasted URL's state does not match, there
	 * are no tokens yet, or a login could not get any. */
	AUTH_REFUSED,
	/* The token endpoint could not be reached or did not answer with
	 * tokens (network, 5xx, 429, garbage); what is held is kept. */
	AUTH_UNREACHABLE,
	/* The same, by a timeout: the endpoint's, another process holding
	 * the settings lock too long, or no browser coming back to a login. */
	AUTH_TIMEOUT,
	/* The settings file cannot be locked, has no room, or its folder
	 * cannot be written: nothing was spent (a code stays good). */
	AUTH_NO_LOCK,
	/* The settings file cannot be used: it does not decrypt (wrong
	 * OAuthClientSecret, damage), is not a settings file, or is refused
	 * (a link, another user's). It is never overwritten. */
	AUTH_BAD_SETTINGS,
	/* InitiateOAuth = OFF: the token endpoint is never contacted. */
	AUTH_OFF,
	/* What was given is not usable: not a code or redirect URL, not an
	 * OAuth configuration, a bad CallbackURL. */
	AUTH_BAD_INPUT,
	AUTH_NOMEM,
};

/*
 * 0 for AUTH_OK and AUTH_OK_UNSAVED (the credential works), else a
 * negative errno: -EACCES (refused, bad settings, bad input), -EIO
 * (unreachable, no lock), -ETIMEDOUT, -EPERM (OFF), -ENOMEM.
 */
int auth_status_to_errno(enum auth_status st);

/*
 * The exit status of SPEC §1 (cmd/cli.h EXIT_*): 0 ok; 1 usage (bad
 * input); 2 configuration (bad settings, OFF, no lock, and unsaved tokens:
 * the settings file needs attention); 3 authentication (refused, and out of
 * memory); 4 unreachable (and timeouts).
 */
int auth_status_to_exit(enum auth_status st);

#endif /* SSFS_AUTH_STATUS_H */
