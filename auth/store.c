#include "auth/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "util/io.h"
#include "util/sbuf.h"

#define STORE_SALT_BYTES 16
#define STORE_NONCE_BYTES 12
#define STORE_TAG_BYTES 16
#define STORE_KEY_BYTES 32
#define STORE_LOCK_RETRY_MS 20

/* Why a file does not load; store_load() prefixes the path. */
#define STORE_WHY_DECRYPT                                                      \
	"cannot decrypt: wrong OAuthClientSecret or a damaged file; remove "   \
	"it to authorize again"
#define STORE_WHY_DAMAGED "damaged settings file; remove it to authorize again"

/* What a store keeps: the settings file and the pending `state`. */
enum store_blob { STORE_BLOB_TOKENS, STORE_BLOB_STATE, STORE_BLOB_COUNT };

struct store {
	char *location;		      /* the path, or "memory://" */
	char *path[STORE_BLOB_COUNT]; /* files: <path>, <path>.state */
	char *lock_path;	      /* files: <path>.lock */
	char *reserve_path;	      /* files: <path>.reserve */
	char *secret;		      /* wiped on close */
	size_t secret_len;
	bool memory;

	pthread_mutex_t lock; /* store_lock(): held across a refresh */
	int lock_fd;	      /* protected by lock: the fcntl lock, or -1 */

	/* memory:// keeps what would be the files' bytes (so the tokens stay
	 * encrypted here too); NULL when absent. Protected by mem_lock. */
	pthread_mutex_t mem_lock;
	char *mem[STORE_BLOB_COUNT];
	size_t mem_len[STORE_BLOB_COUNT];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wipe_free(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

static int dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

void store_tokens_release(struct store_tokens *t)
{
	if (!t)
		return;
	wipe_free(t->access_token);
	wipe_free(t->refresh_token);
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

/* ---- the encrypted format ---- */

static int derive_key(const struct store *s, unsigned char *salt,
		      unsigned char key[STORE_KEY_BYTES])
{
	char digest[] = "SHA256", info[] = STORE_KDF_INFO;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, s->secret,
					      s->secret_len),
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
static int gcm(const struct store *s, unsigned char *salt,
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
static int decode_text(const struct store *s, const char *text, size_t len,
		       struct store_tokens *t, const char **why)
{
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
	rc = pt ? gcm(s, salt, nonce, data, (size_t)n, pt, 0) : -ENOMEM;
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

int store_seal(const struct store *s, const void *payload, size_t n,
	       struct sbuf *out)
{
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
	rc = gcm(s, salt, nonce, payload, n, ct, 1);
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

/* The text of a settings file holding t, saved now. */
static int encode_text(const struct store *s, const struct store_tokens *t,
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
	    !add_ms(root, f[STORE_F_SAVED], now_ms()))
		goto out;
	json = cJSON_PrintUnformatted(root);
	if (!json)
		goto out;
	n = strlen(json);
	rc = store_seal(s, json, n, out);
out:
	if (json) {
		OPENSSL_cleanse(json, n);
		free(json);
	}
	wipe_json(root);
	cJSON_Delete(root);
	return rc;
}

/* ---- files ---- */

/* path followed by suffix, a new string. */
static char *path_plus(const char *path, const char *suffix)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s", path, suffix) < 0)
		return NULL;
	return p;
}

/*
 * At most cap bytes of path, NUL-terminated; -EFBIG beyond that, -EINVAL
 * for something that is not a regular file. O_NONBLOCK: a FIFO put there
 * must not hang us.
 */
static int read_file(const char *path, size_t cap, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc(cap + 2);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (n <= cap) {
		got = read(fd, buf + n, cap + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > cap) {
		rc = -EFBIG;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * Open "<path>.lock" or "<path>.reserve" (flags: O_RDWR or O_WRONLY),
 * created 0600 if missing. Whoever can write the settings folder can put
 * something there for us to write through (store_reserve() fills the file
 * with zeros) or to create: a symbolic link to any file we may write, a
 * hard link to a file of ours (which passes an owner check; the kernel's
 * protected_hardlinks is not always on), or a file of their own. So no
 * symbolic link (O_NOFOLLOW), then, checked on what was opened and before
 * anything is written (no O_TRUNC here), a regular file of our effective
 * uid with no other name. O_NONBLOCK: a FIFO must not hang the open.
 * Returns the descriptor, or -errno with err "<file>: <doing>: <why>".
 */
static int open_beside(const char *file, int flags, const char *doing,
		       char *err, size_t errlen)
{
	char why[128] = "";
	struct stat st;
	int fd, rc = 0;

	fd = open(file, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		  0600);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			snprintf(why, sizeof(why),
				 "it is a symbolic link, not followed; "
				 "remove it");
		goto out;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(why, sizeof(why), "not a regular file; remove it");
	} else if (st.st_uid != geteuid()) {
		rc = -EACCES;
		snprintf(why, sizeof(why),
			 "owned by uid %u, not by uid %u; remove it",
			 (unsigned)st.st_uid, (unsigned)geteuid());
	} else if (st.st_nlink > 1) {
		rc = -EMLINK;
		snprintf(why, sizeof(why),
			 "it has %ju names (hard links), so it may be another "
			 "file of ours; remove it",
			 (uintmax_t)st.st_nlink);
	}
out:
	if (rc) {
		io_say(err, errlen, "%s: %s: %s", file, doing,
		       why[0] ? why : strerror(-rc));
		if (fd >= 0)
			close(fd);
		fd = rc;
	}
	return fd;
}

/* Create the missing folders above path, 0700 (mkdir -p of its dirname). */
static int make_parents(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *dir = strdup(path), *end, *p, c;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	end = strrchr(dir, '/');
	if (!end || end == dir)
		goto out; /* relative, or in "/" */
	*end = '\0';
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		goto out;
	for (p = dir + 1; p <= end; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			rc = -errno;
		else if (p == end && (stat(dir, &st) || !S_ISDIR(st.st_mode)))
			rc = -ENOTDIR;
		if (rc) {
			io_say(err, errlen,
			       "%s: cannot create the folder %s: %s", path, dir,
			       strerror(-rc));
			goto out;
		}
		*p = c;
	}
out:
	free(dir);
	return rc;
}

/* A temporary file older than this is left over from a writer that died
 * (kill -9 between create and rename); writes take well under a second. */
#define STORE_STALE_TEMP_S 60

/* Remove "<name>.tmp.*" files that a dead writer left beside path. */
static void sweep_stale_temps(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : NULL;
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	struct dirent *de;
	struct stat st;
	DIR *d;
	time_t now = time(NULL);

	if (!dir)
		return;
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    strncmp(de->d_name + blen, ".tmp.", 5) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			0 &&
		    S_ISREG(st.st_mode) &&
		    now - st.st_mtime > STORE_STALE_TEMP_S)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	free(dir);
}

/*
 * Replace path with data so that a reader (or a crash) sees the old file or
 * the new one, never a mix: write a unique temporary file in the same
 * folder (so rename() cannot cross file systems), fsync it, rename() it
 * over path (atomic), then fsync the folder so the rename itself survives a
 * crash. mkostemp() opens O_CREAT|O_EXCL with mode 0600, so the secret
 * content is never readable by others, not even briefly.
 */
static int write_atomic(const char *path, const char *data, size_t len,
			char *err, size_t errlen)
{
	const char *what = "cannot create a temporary file beside it";
	char *tmp = NULL, *dir = NULL, *slash;
	bool created = false;
	int fd = -1, rc;

	rc = make_parents(path, err, errlen);
	if (rc)
		return rc;
	sweep_stale_temps(path);
	tmp = path_plus(path, ".tmp.XXXXXX");
	dir = strdup(path);
	if (!tmp || !dir) {
		rc = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	created = true;
	what = "cannot write";
	rc = io_write_all(fd, data, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	fd = -1;
	if (rc)
		goto out;
	what = "cannot replace it";
	if (rename(tmp, path)) {
		rc = -errno;
		goto out;
	}
	created = false;
	/* Best effort where the file system cannot sync a folder (EINVAL)
	 * or the folder cannot be opened; an I/O error is reported. */
	what = "cannot sync its folder";
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) && errno == EIO)
		rc = -EIO;
out:
	if (rc)
		io_say(err, errlen, "%s: %s: %s", path, what, strerror(-rc));
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

/* ---- the store ---- */

struct store *store_open(const char *location, const char *client_secret)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->lock_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->mem_lock, NULL);
	s->memory = strcasecmp(location, STORE_MEMORY) == 0;
	s->location = strdup(s->memory ? STORE_MEMORY : location);
	s->secret = strdup(client_secret ? client_secret : "");
	if (!s->memory) {
		s->path[STORE_BLOB_TOKENS] = strdup(location);
		s->path[STORE_BLOB_STATE] = path_plus(location, ".state");
		s->lock_path = path_plus(location, ".lock");
		s->reserve_path = path_plus(location, ".reserve");
	}
	if (!s->location || !s->secret ||
	    (!s->memory &&
	     (!s->path[STORE_BLOB_TOKENS] || !s->path[STORE_BLOB_STATE] ||
	      !s->lock_path || !s->reserve_path))) {
		store_close(s);
		return NULL;
	}
	s->secret_len = strlen(s->secret);
	return s;
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	for (i = 0; i < STORE_BLOB_COUNT; i++) {
		free(s->mem[i]);
		free(s->path[i]);
	}
	wipe_free(s->secret);
	free(s->location);
	free(s->lock_path);
	free(s->reserve_path);
	pthread_mutex_destroy(&s->mem_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

bool store_is_memory(const struct store *s)
{
	return s->memory;
}

const char *store_location(const struct store *s)
{
	return s->location;
}

/* The bytes of a blob (NUL-terminated, caller frees); as read_file(). */
static int blob_read(struct store *s, enum store_blob b, size_t cap, char **out,
		     size_t *len)
{
	int rc = -ENOENT;

	if (!s->memory)
		return read_file(s->path[b], cap, out, len);
	pthread_mutex_lock(&s->mem_lock);
	if (s->mem[b]) {
		*out = malloc(s->mem_len[b] + 1);
		rc = *out ? 0 : -ENOMEM;
	}
	if (!rc) {
		memcpy(*out, s->mem[b], s->mem_len[b] + 1);
		*len = s->mem_len[b];
	}
	pthread_mutex_unlock(&s->mem_lock);
	return rc;
}

/* Replace a blob: write_atomic() for a file. */
static int blob_write(struct store *s, enum store_blob b, const char *text,
		      size_t len, char *err, size_t errlen)
{
	char *copy;

	if (!s->memory) {
		/* The space store_reserve() claimed is for this write. */
		unlink(s->reserve_path);
		return write_atomic(s->path[b], text, len, err, errlen);
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len + 1);
	pthread_mutex_lock(&s->mem_lock);
	free(s->mem[b]);
	s->mem[b] = copy;
	s->mem_len[b] = len;
	pthread_mutex_unlock(&s->mem_lock);
	return 0;
}

/* The tokens; on failure *why says what is wrong (without the path). */
static int load_tokens(struct store *s, struct store_tokens *t,
		       const char **why)
{
	char *text = NULL;
	size_t len = 0;
	int rc =
	    blob_read(s, STORE_BLOB_TOKENS, STORE_MAX_FILE_BYTES, &text, &len);

	if (rc == -EFBIG || rc == -EINVAL) {
		*why = rc == -EFBIG
			   ? "not a settings file (larger than 64 KiB)"
			   : "not a settings file (not a regular file)";
		rc = -EBADMSG;
	} else if (rc == -ENOENT) {
		*why = s->memory ? "no tokens saved yet" : "no such file";
	} else if (rc) {
		*why = strerror(-rc);
	} else {
		rc = decode_text(s, text, len, t, why);
		if (rc && rc != -EBADMSG)
			*why = strerror(-rc);
	}
	free(text);
	return rc;
}

int store_load(struct store *s, struct store_tokens *t, char *err,
	       size_t errlen)
{
	const char *why = "";
	int rc = load_tokens(s, t, &why);

	if (rc)
		io_say(err, errlen, "%s: %s", s->location, why);
	return rc;
}

int store_save(struct store *s, const struct store_tokens *t, char *err,
	       size_t errlen)
{
	struct sbuf text = SBUF_INIT(STORE_MAX_FILE_BYTES);
	struct store_tokens old;
	const char *why = "";
	int rc;

	memset(&old, 0, sizeof(old));
	if (t->expires_at_ms < 0 || t->expires_at_ms > STORE_MAX_MS) {
		io_say(err, errlen, "%s: expiry time out of range",
		       s->location);
		return -EINVAL;
	}
	/* A file we cannot read back may be someone's only copy of their
	 * tokens (another secret) or not ours at all: never overwrite it. */
	rc = load_tokens(s, &old, &why);
	store_tokens_release(&old);
	if (rc == -EBADMSG) {
		io_say(err, errlen, "%s: not replacing it: %s", s->location,
		       why);
		goto out;
	}
	if (rc && rc != -ENOENT) {
		io_say(err, errlen,
		       "%s: cannot read it before replacing it: %s",
		       s->location, why);
		goto out;
	}
	rc = encode_text(s, t, &text);
	if (rc)
		io_say(err, errlen, "%s: %s", s->location,
		       rc == -EFBIG ? "the tokens are too large to save"
				    : strerror(-rc));
	else
		rc = blob_write(s, STORE_BLOB_TOKENS, text.buf, text.len, err,
				errlen);
out:
	sbuf_release(&text);
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Why a separate "<path>.lock": the settings file is replaced by rename(),
 * so a lock on it would stay with the old inode while the next process
 * locks the new one. Why a mutex as well: POSIX record locks belong to the
 * process, so a second thread would be granted the same lock at once.
 * The lock file is opened only here and closed only by store_unlock(),
 * because closing any descriptor of it would drop the process's lock.
 */
/*
 * A refresh kills the old pair at Smartsheet before the new one is saved, so
 * a save that fails for want of space loses the refresh token. Before the
 * request, claim the space: write STORE_RESERVE_BYTES (far more than a
 * settings file) beside the file; store_save releases it just before it
 * writes. A full or read-only folder fails here, with nothing spent.
 */
#define STORE_RESERVE_BYTES 16384
#define STORE_CANNOT_RESERVE "cannot save tokens there"

int store_reserve(struct store *s, char *err, size_t errlen)
{
	static const char zeros[4096];
	size_t done = 0;
	int fd, rc = 0;

	if (s->memory)
		return 0;
	rc = make_parents(s->reserve_path, err, errlen);
	if (rc)
		return rc;
	fd = open_beside(s->reserve_path, O_WRONLY, STORE_CANNOT_RESERVE, err,
			 errlen);
	if (fd < 0)
		return fd; /* not ours to remove */
	if (ftruncate(fd, 0))
		rc = -errno;
	while (!rc && done < STORE_RESERVE_BYTES) {
		rc = io_write_all(fd, zeros, sizeof(zeros));
		done += sizeof(zeros);
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		unlink(s->reserve_path);
		io_say(err, errlen, "%s: " STORE_CANNOT_RESERVE ": %s",
		       s->reserve_path, strerror(-rc));
	}
	return rc;
}

int store_lock(struct store *s, int timeout_ms, char *err, size_t errlen)
{
	struct timespec pause = {0, STORE_LOCK_RETRY_MS * 1000000L}, dl;
	int64_t end = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct flock fl;
	int fd = -1, rc;

	dl.tv_sec = (time_t)(end / 1000);
	dl.tv_nsec = (long)(end % 1000 * 1000000);
	rc = -pthread_mutex_clocklock(&s->lock, CLOCK_MONOTONIC, &dl);
	if (rc) {
		io_say(err, errlen, "%s: cannot lock: %s", s->location,
		       rc == -ETIMEDOUT ? "timed out: another thread is "
					  "refreshing the tokens"
					: strerror(-rc));
		return rc;
	}
	if (s->memory)
		return 0;
	rc = make_parents(s->lock_path, err, errlen);
	if (rc)
		goto fail;
	fd = open_beside(s->lock_path, O_RDWR, "cannot lock", err, errlen);
	if (fd < 0) {
		rc = fd;
		goto fail;
	}
	while (!rc) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			break;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			rc = -errno;
		else if (mono_ms() >= end)
			rc = -ETIMEDOUT;
		else
			nanosleep(&pause, NULL);
	}
	if (rc == -ETIMEDOUT)
		io_say(
		    err, errlen,
		    "%s: timed out after %d ms: another smartsheetfs process "
		    "is refreshing the tokens",
		    s->lock_path, timeout_ms);
	else if (rc)
		io_say(err, errlen, "%s: cannot lock: %s", s->lock_path,
		       strerror(-rc));
	if (!rc) {
		s->lock_fd = fd;
		return 0;
	}
fail:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void store_unlock(struct store *s)
{
	if (s->lock_fd >= 0) {
		close(s->lock_fd); /* drops the fcntl lock */
		s->lock_fd = -1;
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- the pending OAuth state: "<state> <issued, Unix seconds>\n" ---- */

int store_put_state(struct store *s, const char *state, char *err,
		    size_t errlen)
{
	char text[STORE_MAX_STATE_LEN + 32];
	size_t i, n = strlen(state);

	for (i = 0; i < n && state[i] > ' ' && state[i] <= '~'; i++)
		;
	if (n == 0 || n > STORE_MAX_STATE_LEN || i < n) {
		io_say(err, errlen,
		       "OAuth state is empty, too long or not text");
		return -EINVAL;
	}
	snprintf(text, sizeof(text), "%s %lld\n", state, (long long)time(NULL));
	return blob_write(s, STORE_BLOB_STATE, text, strlen(text), err, errlen);
}

int store_get_state(struct store *s, long max_age_s, char **state)
{
	char *text = NULL, *sp, *end, *copy;
	long long at, now;
	size_t len;
	int rc;

	rc = blob_read(s, STORE_BLOB_STATE, STORE_MAX_STATE_LEN + 32, &text,
		       &len);
	if (rc == -EFBIG || rc == -EINVAL)
		rc = -ENOENT;
	if (rc)
		goto out;
	rc = -ENOENT;
	sp = text ? strchr(text, ' ') : NULL;
	if (!sp || sp == text)
		goto out;
	*sp = '\0';
	errno = 0;
	at = strtoll(sp + 1, &end, 10);
	now = (long long)time(NULL);
	if (errno || end == sp + 1 || strcmp(end, "\n") != 0 || at < 0 ||
	    at > now || now - at >= max_age_s)
		goto out; /* garbled, from the future, or too old */
	copy = strdup(text);
	rc = copy ? 0 : -ENOMEM;
	if (!rc)
		*state = copy;
out:
	free(text);
	return rc;
}

void store_clear_state(struct store *s)
{
	if (!s->memory) {
		unlink(s->path[STORE_BLOB_STATE]);
		return;
	}
	pthread_mutex_lock(&s->mem_lock);
	free(s->mem[STORE_BLOB_STATE]);
	s->mem[STORE_BLOB_STATE] = NULL;
	pthread_mutex_unlock(&s->mem_lock);
}
