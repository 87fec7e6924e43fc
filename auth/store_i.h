#ifndef SSFS_AUTH_STORE_I_H
#define SSFS_AUTH_STORE_I_H

#include <stddef.h>
#include <stdint.h>

#include "auth/store.h"
#include "util/compat.h"

/*
 * The settings file's text and the tokens it holds (the format is in
 * store.h), under the OAuthClientSecret: the HKDF key, AES-256-GCM, strict
 * base64 and the JSON payload. Pure: no file, no lock, no log, no state;
 * any thread. store.c puts files around it; the fuzzers reach it through
 * store_load() and store_seal().
 */

struct sbuf;

/*
 * Append to out the text of a settings file whose plaintext is the n bytes
 * at payload, with a fresh salt and nonce. 0, -EFBIG (n passes
 * STORE_MAX_FILE_BYTES, or out's max is reached), -ENOMEM or -EIO.
 */
int store_crypt_seal(const char *secret, size_t secret_len, const void *payload,
		     size_t n, struct sbuf *out) SSFS_WUR;

/* Append to out the text of a settings file holding t, stamped
 * saved_at_ms (t's own saved_at_ms is not used). As store_crypt_seal. */
int store_crypt_encode(const char *secret, size_t secret_len,
		       const struct store_tokens *t, int64_t saved_at_ms,
		       struct sbuf *out) SSFS_WUR;

/*
 * The tokens in the len bytes of settings-file text at text: 0 with *t
 * filled (new strings), or -EBADMSG with *why (a static string, without
 * the path) saying what is wrong: not a settings file, another version,
 * damaged, not decryptable with this secret, or content that is not
 * exactly the six members; or -ENOMEM/-EIO. *t untouched on failure.
 */
int store_crypt_decode(const char *secret, size_t secret_len, const char *text,
		       size_t len, struct store_tokens *t,
		       const char **why) SSFS_WUR;

#endif /* SSFS_AUTH_STORE_I_H */
