#ifndef SSFS_AUTH_STORE_H
#define SSFS_AUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * The OAuth settings file (SPEC §2, OAuthSettingsLocation): the tokens,
 * encrypted and authenticated with AES-256-GCM under a key derived from the
 * OAuthClientSecret, so the same file works on any machine configured with
 * the same client. The file is text:
 *
 *	smartsheetfs-oauth-settings 1
 *	salt <base64 of 16 random bytes>
 *	nonce <base64 of the 12-byte GCM nonce>
 *	data <base64 of ciphertext || 16-byte GCM tag>
 *
 * key = HKDF-SHA-256(ikm = secret, salt, info = STORE_KDF_INFO), 32 bytes;
 * the GCM AAD is the first line; the plaintext is a compact JSON object with
 * exactly the six members of struct store_tokens (missing strings are null,
 * times are whole numbers of milliseconds). Lines may end in CRLF (the file
 * may have been pasted between machines).
 *
 * Error messages go to a caller's buffer (err, errlen): one line that names
 * the file and what is wrong, never a token or the secret. Nothing here logs.
 */

#define STORE_HEADER "smartsheetfs-oauth-settings 1"
#define STORE_KDF_INFO "smartsheetfs oauth settings v1"
#define STORE_MEMORY "memory://"
/* A settings (or state) file larger than this is not one of ours. */
#define STORE_MAX_FILE_BYTES (64 * 1024)
/* Times are kept exact through a JSON double: 0 <= ms <= 2^53. */
#define STORE_MAX_MS 9007199254740992LL
/* Longest `state` store_put_state() accepts. */
#define STORE_MAX_STATE_LEN 256

/*
 * Plain data. Every string is owned by the struct (malloc'd, NULL when
 * absent); the secrets are wiped when released. A zeroed struct is valid
 * and empty.
 */
struct store_tokens {
	char *access_token;  /* secret, may be NULL */
	char *refresh_token; /* secret, may be NULL */
	/* Unix ms when the access token expires; 0: unknown. */
	int64_t expires_at_ms;
	char *scope; /* may be NULL */
	/* The API base URL the tokens belong to; may be NULL. */
	char *api_base;
	/* When store_save() wrote them (Unix ms); 0 if never saved. */
	int64_t saved_at_ms;
};

/* Wipe (OPENSSL_cleanse) and free the strings; zero the struct. NULL and a
 * second call do nothing. */
void store_tokens_release(struct store_tokens *t);
/* Deep copy into dst (overwritten, not released); 0 or -ENOMEM, and dst is
 * written only on success. */
int store_tokens_copy(struct store_tokens *dst,
		      const struct store_tokens *src) SSFS_WUR;

/*
 * Strict base64 (RFC 4648 with '=' padding; no line breaks, no spaces): the
 * n characters at in must be exactly what EVP_EncodeBlock() makes of some
 * bytes, so that any change to a settings file's text is noticed. The bytes
 * go to out, which has room for cap of them: nothing is written past
 * out + cap, and nothing at all on failure. Returns how many bytes (0 for
 * no text), or
 *   -EBADMSG  not such text: a length that is not a multiple of 4, a
 *             character outside the alphabet, '=' anywhere but at the end,
 *             spare bits set before '='; or n > STORE_MAX_FILE_BYTES;
 *   -ENOBUFS  such text, but of more than cap bytes;
 *   -ENOMEM.
 * Pure (no store). In the header for its unit test, which checks the bounds
 * with a guard region: EVP_DecodeBlock() writes whole groups of 3 bytes,
 * the '=' padding included, and ASan cannot see inside libcrypto.
 */
int store_b64_decode(const char *in, size_t n, unsigned char *out,
		     size_t cap) SSFS_WUR;

struct sbuf;
struct store;

/*
 * location (not NULL): an absolute path, or "memory://" (any case: tokens
 * and state kept in this process only, still encrypted). client_secret: the
 * OAuthClientSecret (copied, wiped on close; NULL is taken as ""). Touches
 * no file. NULL on ENOMEM.
 */
struct store *store_open(const char *location, const char *client_secret);
/* Wipes and frees what it holds; call it without the lock held. NULL does
 * nothing. */
void store_close(struct store *s);
bool store_is_memory(const struct store *s);
/* The path, or "memory://"; borrowed, valid until store_close(). */
const char *store_location(const struct store *s);

/*
 * Read the tokens into *t (new strings; release with
 * store_tokens_release()). Returns 0, or:
 *   -ENOENT   no file (memory: nothing saved yet);
 *   -EBADMSG  the file exists but is not a settings file, is larger than
 *             STORE_MAX_FILE_BYTES, or cannot be decrypted/authenticated
 *             (wrong OAuthClientSecret, truncated, garbled, tampered), or
 *             its decrypted content is not exactly the expected object;
 *   -ELOOP    it is a symbolic link (never followed: see store_reserve);
 *   -EACCES   it belongs to another uid (or cannot be read);
 *   -ENOMEM, or another -errno from reading it.
 * On failure err gets a message and *t is untouched. Does not take the
 * store lock: call it under store_lock() for a read-refresh-write.
 */
int store_load(struct store *s, struct store_tokens *t, char *err,
	       size_t errlen) SSFS_WUR;

/*
 * Replace the file atomically with t, stored with saved_at_ms = now (t's own
 * saved_at_ms is ignored). Missing parent folders are created 0700; the file
 * is 0600; the salt and nonce are fresh on every save. An existing file
 * that does not load with this secret (store_load() -EBADMSG), or cannot be
 * read (a link, another uid's), is never replaced: store_load()'s error.
 * -EINVAL for a time outside 0..STORE_MAX_MS, -EFBIG when the file would pass
 * STORE_MAX_FILE_BYTES, else 0 or -errno. On any failure the previous file is
 * intact, no temporary file is left behind, and err says why; the one exception
 * is -EIO from the fsync of the folder after the rename: the new file is in
 * place, but may not survive a crash. Does not take the store lock.
 */
int store_save(struct store *s, const struct store_tokens *t, char *err,
	       size_t errlen) SSFS_WUR;

/*
 * Append to out the text of a settings file whose plaintext is the n bytes
 * at payload, under s's secret with a fresh salt and nonce: what
 * store_save() writes once it has made the JSON. 0, -EFBIG (n passes
 * STORE_MAX_FILE_BYTES, or out's max is reached), -ENOMEM or -EIO. For
 * tests and fuzzing, which need any payload behind a valid tag so that
 * store_load() parses it.
 */
int store_seal(const struct store *s, const void *payload, size_t n,
	       struct sbuf *out) SSFS_WUR;

/*
 * Serialise read-refresh-write between threads and processes: a lock
 * between the threads in the store, then an exclusive fcntl(F_SETLK) write
 * lock on "<path>.lock" (created 0600 with its missing folders), tried
 * every 20 ms. Both waits share one deadline of timeout_ms (>= 0):
 * -ETIMEDOUT with a message when it passes; other -errno (with a message)
 * when the lock file cannot be opened or is refused (as for
 * store_reserve()). memory:// uses only the threads' lock. Not recursive:
 * a thread must not lock twice. POSIX record locks belong to the process, so
 * use one store object per settings file in a process (a second one would not
 * exclude the first, and its unlock would drop the first's lock).
 */
int store_lock(struct store *s, int timeout_ms, char *err,
	       size_t errlen) SSFS_WUR;
/* Release what store_lock() took; the caller holds it. */
void store_unlock(struct store *s);

/*
 * Claim the space a save needs (a "<path>.reserve" file the next save
 * releases) before a token request whose answer must be saved: a refresh
 * kills the old pair, so a save that then fails for want of space or
 * permission loses the refresh token. 0, or -errno with a message (full,
 * read-only or unwritable folder). Call under store_lock(). No-op for
 * memory://.
 *
 * What is found at "<path>.reserve" or "<path>.lock" (someone else who can
 * write the folder may have put it there) is never followed, written or
 * locked unless it is a regular file of the effective uid with one name:
 * -ELOOP for a symbolic link, -EMLINK for a file with hard links, -EACCES
 * for another uid's file, -EINVAL for anything else; the message names the
 * file and says to remove it. The settings file is not touched. The
 * settings file and "<path>.state" are read only as regular files of the
 * effective uid (hard links allowed: reading through one does no harm).
 */
int store_reserve(struct store *s, char *err, size_t errlen) SSFS_WUR;

/*
 * The pending OAuth `state` issued by `auth url` (SPEC §1): "<path>.state",
 * 0600, replaced atomically like the settings file, holding the state and
 * its issue time (Unix seconds) as text; memory:// keeps it in memory.
 *
 * store_put_state: state is 1..STORE_MAX_STATE_LEN printable ASCII
 * characters without spaces (-EINVAL otherwise); 0 or -errno with err.
 * store_get_state: 0 and a new string in *state (caller frees) when a state
 * issued less than max_age_s seconds ago is stored; -ENOENT when there is
 * none, it is older (or from the future), or the file is garbled; -ENOMEM;
 * other -errno, with err naming the file, when it cannot be read or is
 * refused (-ELOOP, -EACCES as for store_load). It is not deleted (a user
 * may paste the redirect URL twice).
 * store_clear_state: forget it (no error when there is none).
 */
int store_put_state(struct store *s, const char *state, char *err,
		    size_t errlen) SSFS_WUR;
int store_get_state(struct store *s, long max_age_s, char **state, char *err,
		    size_t errlen) SSFS_WUR;
void store_clear_state(struct store *s);

#endif /* SSFS_AUTH_STORE_H */
