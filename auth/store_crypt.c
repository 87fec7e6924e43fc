/*
 * The settings file's format (auth/store_i.h): HKDF-SHA-256 key, AES-256-GCM
 * seal and open, strict base64, and the JSON payload <-> struct
 * store_tokens. Pure functions of their arguments (no file, no lock, no
 * log), so any thread may call them and the fuzzers reach every byte.
 * Decrypted text and JSON are wiped before they are freed.
 */
#include "auth/store_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "util/sbuf.h"
#include "util/secret.h"

#define STORE_SALT_BYTES 16
#define STORE_NONCE_BYTES 12
#define STORE_TAG_BYTES 16
#define STORE_KEY_BYTES 32

/* Why a file does not load; store_load() prefixes the path. */
#define STORE_WHY_DECRYPT                                                      \
	"cannot decrypt: wrong OAuthClientSecret or a damaged file; remove "   \
	"it to authorize again"
#define STORE_WHY_DAMAGED "damaged settings file; remove it to authorize again"

/* The secret the key is derived from (borrowed). */
struct key_src {
	const char *secret;
	size_t len;
};

static int dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

void store_tokens_release(struct store_tokens *t)
{
	if (!t)
		return;
	secret_free(t->access_token);
	secret_free(t->refresh_token);
	free(t->scope);
	free(t->api_base);
	memset(t, 0, sizeof(*t));
}

int store_tokens_copy(struct store_tokens *dst, const struct store_tokens *src)
{
	struct store_tokens n;

	memset(&n, 0, sizeof(n));
	n.expires_at_ms = src->expires_at_ms;
	n.saved_at_ms = src->saved_at_ms;
	if (dup_or_null(src->access_token, &n.access_token) ||
	    dup_or_null(src->refresh_token, &n.refresh_token) ||
	    dup_or_null(src->scope, &n.scope) ||
	    dup_or_null(src->api_base, &n.api_base)) {
		store_tokens_release(&n);
		return -ENOMEM;
	}
	*dst = n;
	return 0;
}

static int derive_key(const struct key_src *s, unsigned char *salt,
		      unsigned char key[STORE_KEY_BYTES])
{
	char digest[] = "SHA256", info[] = STORE_KDF_INFO;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
	    /* OSSL_PARAM has one pointer type for both directions; the
	     * KDF only reads its key. */
	    OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)s->secret, s->len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt,
					      STORE_SALT_BYTES),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
					      sizeof(info) - 1),
	    OSSL_PARAM_construct_end(),
	};
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int rc = -EIO;

	if (ctx && EVP_KDF_derive(ctx, key, STORE_KEY_BYTES, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/*
 * AES-256-GCM under the key for salt, with the header line as AAD.
 * Encrypting, out gets n bytes and then the tag; decrypting, in ends with
 * the tag, out gets n - tag bytes, and a tag that does not verify (wrong
 * secret, any change to the file) is -EBADMSG.
 */
static int gcm(const struct key_src *s, unsigned char *salt,
	       const unsigned char *nonce, const unsigned char *in, size_t n,
	       unsigned char *out, int enc)
{
	unsigned char key[STORE_KEY_BYTES], tag[STORE_TAG_BYTES];
	const unsigned char *aad = (const unsigned char *)STORE_HEADER;
	const EVP_CIPHER *aes = EVP_aes_256_gcm();
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t ct = enc ? n : n - STORE_TAG_BYTES;
	int len, rc = c ? derive_key(s, salt, key) : -ENOMEM;

	if (rc)
		goto out;
	if (!enc)
		memcpy(tag, in + ct, sizeof(tag));
	rc = -EIO;
	if (EVP_CipherInit_ex(c, aes, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &len, aad, (int)strlen(STORE_HEADER)) !=
		1 ||
	    EVP_CipherUpdate(c, out, &len, in, (int)ct) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
					 STORE_TAG_BYTES, tag) != 1))
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &len) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
					STORE_TAG_BYTES, out + ct) == 1)
		rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int b64_add(struct sbuf *sb, const unsigned char *in, size_t n)
{
	size_t need = (n + 2) / 3 * 4;
	int rc = sbuf_grow(sb, need);

	if (rc)
		return rc;
	EVP_EncodeBlock((unsigned char *)sb->buf + sb->len, in, (int)n);
	sb->len += need;
	return 0;
}

int store_b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	/* EVP_DecodeBlock() writes 3 bytes for every 4 characters, the '='
	 * padding included, and checks nothing about room: so it decodes into
	 * a buffer of that size, and only the real length is copied out. */
	size_t room = n / 4 * 3;
	unsigned char *buf, *check;
	int got;

	if (n == 0)
		return 0;
	if (n % 4 != 0 || n > STORE_MAX_FILE_BYTES)
		return -EBADMSG;
	buf = malloc(room + n + 1);
	if (!buf)
		return -ENOMEM;
	check = buf + room;
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (got >= 0)
		got -= (in[n - 1] == '=') + (in[n - 2] == '=');
	/* Strict: the decoder skips white space and the spare bits before
	 * '=', so the text must be what encoding the bytes again gives. */
	if (got < 0 || EVP_EncodeBlock(check, buf, got) != (int)n ||
	    memcmp(check, in, n) != 0)
		got = -EBADMSG;
	else if ((size_t)got > cap)
		got = -ENOBUFS;
	else
		memcpy(out, buf, (size_t)got);
	free(buf);
	return got;
}

/*
 * Line "<name> <base64>" at *p (ending in "\n", "\r\n" or the end): its
 * bytes into out, which has room for cap; exactly want of them (want 0:
 * more than a tag). Returns the length, -EBADMSG or -ENOMEM.
 */
static int take_b64(const char **p, const char *end, const char *name,
		    unsigned char *out, size_t cap, size_t want)
{
	const char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
	size_t nlen = strlen(name), len = (size_t)((nl ? nl : end) - line);
	int got;

	*p = nl ? nl + 1 : end;
	if (len && line[len - 1] == '\r')
		len--;
	if (len <= nlen + 1 || memcmp(line, name, nlen) != 0 ||
	    line[nlen] != ' ')
		return -EBADMSG;
	len -= nlen + 1;
	if (want && len != (want + 2) / 3 * 4)
		return -EBADMSG;
	got = store_b64_decode(line + nlen + 1, len, out, cap);
	if (got == -ENOBUFS ||
	    (got >= 0 && (want ? (size_t)got != want : got <= STORE_TAG_BYTES)))
		got = -EBADMSG;
	return got;
}

/* The members of the plaintext object, in the order they are written. */
enum store_field {
	STORE_F_ACCESS,
	STORE_F_REFRESH,
	STORE_F_EXPIRES,
	STORE_F_SCOPE,
	STORE_F_API_BASE,
	STORE_F_SAVED,
	STORE_F_COUNT
};

static const char *const store_fields[STORE_F_COUNT] = {
    "access_token", "refresh_token", "expires_at_ms",
    "scope",	    "api_base",	     "saved_at_ms",
};

static void wipe_json(cJSON *it)
{
	for (; it; it = it->next) {
		if (it->valuestring)
			OPENSSL_cleanse(it->valuestring,
					strlen(it->valuestring));
		wipe_json(it->child);
	}
}

static int json_string(const cJSON *it, char **out)
{
	if (cJSON_IsNull(it)) {
		*out = NULL;
		return 0;
	}
	if (!cJSON_IsString(it) || !it->valuestring)
		return -EBADMSG;
	*out = strdup(it->valuestring);
	return *out ? 0 : -ENOMEM;
}

/* A whole number of ms, exact in a double; anything else is damage. */
static int json_ms(const cJSON *it, int64_t *out)
{
	double v;

	if (!cJSON_IsNumber(it))
		return -EBADMSG;
	v = it->valuedouble;
	if (!(v >= 0 && v <= (double)STORE_MAX_MS) || (double)(int64_t)v != v)
		return -EBADMSG;
	*out = (int64_t)v;
	return 0;
}

/* Exactly the six members, each once, each of its type. */
static int tokens_from_json(const char *buf, size_t len, struct store_tokens *t)
{
	struct store_tokens n;
	cJSON *root = cJSON_ParseWithLength(buf, len), *it;
	char **strs[STORE_F_COUNT] = {
	    [STORE_F_ACCESS] = &n.access_token,
	    [STORE_F_REFRESH] = &n.refresh_token,
	    [STORE_F_SCOPE] = &n.scope,
	    [STORE_F_API_BASE] = &n.api_base,
	};
	unsigned seen = 0;
	int i, rc = -EBADMSG;

	memset(&n, 0, sizeof(n));
	if (!cJSON_IsObject(root))
		goto out;
	for (it = root->child; it; it = it->next) {
		for (i = 0; i < STORE_F_COUNT; i++)
			if (it->string && !strcmp(it->string, store_fields[i]))
				break;
		if (i == STORE_F_COUNT || (seen & (1u << i))) {
			rc = -EBADMSG; /* unknown, or twice */
			goto out;
		}
		seen |= 1u << i;
		if (strs[i])
			rc = json_string(it, strs[i]);
		else if (i == STORE_F_EXPIRES)
			rc = json_ms(it, &n.expires_at_ms);
		else
			rc = json_ms(it, &n.saved_at_ms);
		if (rc)
			goto out;
	}
	rc = -EBADMSG;
	if (seen != (1u << STORE_F_COUNT) - 1)
		goto out;
	*t = n;
	memset(&n, 0, sizeof(n));
	rc = 0;
out:
	store_tokens_release(&n);
	wipe_json(root);
	cJSON_Delete(root);
	return rc;
}

/* Decrypt a settings file's text. On -EBADMSG, *why says what is wrong. */
int store_crypt_decode(const char *secret, size_t secret_len, const char *text,
		       size_t len, struct store_tokens *t, const char **why)
{
	const struct key_src s = {secret, secret_len};
	const char *p = text, *end = text + len;
	unsigned char salt[STORE_SALT_BYTES], nonce[STORE_NONCE_BYTES];
	unsigned char *data = NULL, *pt = NULL;
	size_t hlen = strlen(STORE_HEADER);
	int n = -EBADMSG, rc = -EBADMSG;

	*why = "not a smartsheetfs OAuth settings file";
	if (len <= hlen || memcmp(text, STORE_HEADER, hlen - 1) != 0)
		goto out;
	p += hlen + (text[hlen] == '\r');
	if (text[hlen - 1] != STORE_HEADER[hlen - 1] || *p++ != '\n') {
		*why = "settings file of an unknown version (from a newer "
		       "smartsheetfs?)";
		goto out;
	}
	*why = STORE_WHY_DAMAGED;
	data = malloc(len);
	if (!data) {
		rc = -ENOMEM;
		goto out;
	}
	n = take_b64(&p, end, "salt", salt, sizeof(salt), sizeof(salt));
	if (n >= 0)
		n = take_b64(&p, end, "nonce", nonce, sizeof(nonce),
			     sizeof(nonce));
	if (n >= 0)
		n = take_b64(&p, end, "data", data, len, 0);
	for (; n > 0 && p < end; p++) /* only blank lines may follow */
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			n = -EBADMSG;
	if (n < 0) {
		rc = n;
		goto out;
	}
	pt = malloc(n ? (size_t)n : 1);
	rc = pt ? gcm(&s, salt, nonce, data, (size_t)n, pt, 0) : -ENOMEM;
	if (rc == -EBADMSG)
		*why = STORE_WHY_DECRYPT;
	if (rc)
		goto out;
	rc = tokens_from_json((const char *)pt, (size_t)n - STORE_TAG_BYTES, t);
	if (rc == -EBADMSG)
		*why = "decrypted, but the content is not valid settings; "
		       "remove it to authorize again";
out:
	if (pt)
		OPENSSL_cleanse(pt, (size_t)n);
	free(pt);
	free(data);
	return rc;
}

static bool add_string(cJSON *root, const char *name, const char *v)
{
	return v ? cJSON_AddStringToObject(root, name, v) != NULL
		 : cJSON_AddNullToObject(root, name) != NULL;
}

/*
 * cJSON prints a double with 15 significant digits whenever that reads back
 * "close enough", which rounds times at and above 10^15. Write the integer
 * itself as a raw JSON number instead; reading it back through a double is
 * exact up to 2^53.
 */
static bool add_ms(cJSON *root, const char *name, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return cJSON_AddRawToObject(root, name, num) != NULL;
}

int store_crypt_seal(const char *secret, size_t secret_len, const void *payload,
		     size_t n, struct sbuf *out)
{
	const struct key_src s = {secret, secret_len};
	unsigned char salt[STORE_SALT_BYTES], nonce[STORE_NONCE_BYTES];
	unsigned char salt64[32], nonce64[32], *ct;
	int rc = -EIO;

	if (n > STORE_MAX_FILE_BYTES)
		return -EFBIG;
	ct = malloc(n + STORE_TAG_BYTES);
	if (!ct)
		return -ENOMEM;
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    RAND_bytes(nonce, sizeof(nonce)) != 1)
		goto out;
	rc = gcm(&s, salt, nonce, payload, n, ct, 1);
	if (rc)
		goto out;
	EVP_EncodeBlock(salt64, salt, sizeof(salt));
	EVP_EncodeBlock(nonce64, nonce, sizeof(nonce));
	rc = sbuf_addf(out, STORE_HEADER "\nsalt %s\nnonce %s\ndata ",
		       (char *)salt64, (char *)nonce64);
	if (!rc)
		rc = b64_add(out, ct, n + STORE_TAG_BYTES);
	if (!rc)
		rc = sbuf_addstr(out, "\n");
out:
	free(ct);
	return rc;
}

int store_crypt_encode(const char *secret, size_t secret_len,
		       const struct store_tokens *t, int64_t saved_at_ms,
		       struct sbuf *out)
{
	cJSON *root = cJSON_CreateObject();
	const char *const *f = store_fields;
	char *json = NULL;
	size_t n = 0;
	int rc = -ENOMEM;

	if (!root || !add_string(root, f[STORE_F_ACCESS], t->access_token) ||
	    !add_string(root, f[STORE_F_REFRESH], t->refresh_token) ||
	    !add_ms(root, f[STORE_F_EXPIRES], t->expires_at_ms) ||
	    !add_string(root, f[STORE_F_SCOPE], t->scope) ||
	    !add_string(root, f[STORE_F_API_BASE], t->api_base) ||
	    !add_ms(root, f[STORE_F_SAVED], saved_at_ms))
		goto out;
	json = cJSON_PrintUnformatted(root);
	if (!json)
		goto out;
	n = strlen(json);
	rc = store_crypt_seal(secret, secret_len, json, n, out);
out:
	if (json) {
		OPENSSL_cleanse(json, n);
		free(json);
	}
	wipe_json(root);
	cJSON_Delete(root);
	return rc;
}
