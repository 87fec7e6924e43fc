#include "auth/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tests/unit/testlib.h"
#include "util/clock.h"
#include "util/sbuf.h"

#define SECRET "client-secret-A"
#define ACCESS "ll352u9jujauoqz4gstvsae05"
#define REFRESH "e9x352a9mp4151le2505"
#define PATHLEN 512

static char tmpdir[64]; /* from mkdtemp() */

/* tmpdir/name in buf. */
static char *tpath(char *buf, const char *name)
{
	snprintf(buf, PATHLEN, "%s/%s", tmpdir, name);
	return buf;
}

/* A fresh empty folder tmpdir/name; returns the path of "name/file". */
static char *fresh_dir(char *buf, const char *name, const char *file)
{
	return t_fresh_dir(buf, PATHLEN, tmpdir, name, file);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	*len = 0;
	if (!f)
		return NULL;
	buf = malloc(2 << 20);
	n = buf ? fread(buf, 1, (2 << 20) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static void write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(fwrite(data, 1, len, f), len);
	CHECK_INT(fclose(f), 0);
}

/* How many entries dir has (not . and ..); their names, each followed by
 * a space, in out. */
static int list_dir(const char *dir, char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	out[0] = '\0';
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		strncat(out, e->d_name, outlen - strlen(out) - 1);
		strncat(out, " ", outlen - strlen(out) - 1);
	}
	closedir(d);
	return n;
}

static void sample(struct store_tokens *t)
{
	memset(t, 0, sizeof(*t));
	t->access_token = strdup(ACCESS);
	t->refresh_token = strdup(REFRESH);
	t->expires_at_ms = 4102444800123LL;
	t->scope = strdup("READ_SHEETS WRITE_SHEETS");
	t->api_base = strdup("https://api.smartsheet.com/2.0");
	t->saved_at_ms = 42; /* ignored by store_save */
}

/* Saves sample() to path with SECRET. */
static void save_sample(const char *path)
{
	struct store *s = store_open(path, SECRET);
	struct store_tokens t;
	char err[256] = "";

	sample(&t);
	CHECK(s != NULL);
	if (s)
		CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	store_tokens_release(&t);
	store_close(s);
}

/* store_load() on path with secret; err copied out when asked. */
static int load_with(const char *path, const char *secret, char *err,
		     size_t errlen)
{
	struct store *s = store_open(path, secret);
	struct store_tokens t;
	char buf[512] = "", untouched[] = "untouched";
	int rc;

	memset(&t, 0, sizeof(t));
	t.scope = untouched;
	rc = store_load(s, &t, buf, sizeof(buf));
	if (rc == 0) {
		CHECK_STR(t.access_token, ACCESS);
		CHECK(strstr(buf, SECRET) == NULL);
		store_tokens_release(&t);
	} else {
		CHECK_STR(t.scope, "untouched"); /* E5 */
		CHECK(buf[0] != '\0');
		CHECK(strstr(buf, path) != NULL);
		CHECK(strstr(buf, secret) == NULL || !secret[0]);
		CHECK(strstr(buf, ACCESS) == NULL);
	}
	if (err)
		snprintf(err, errlen, "%s", buf);
	store_close(s);
	return rc;
}

/*
 * An independent reading of the format (store.h), with OpenSSL directly:
 * proves the file is what the header documents, not just what store.c
 * reads back.
 */
static int t_b64(const char *text, const char *name, unsigned char *out)
{
	char key[16];
	const char *p, *e;
	int n, pad = 0;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key);
	if (!p)
		return -1;
	p += strlen(key);
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	if (e > p && e[-1] == '=')
		pad++;
	if (e > p + 1 && e[-2] == '=')
		pad++;
	n = EVP_DecodeBlock(out, (const unsigned char *)p, (int)(e - p));
	return n < 0 ? -1 : n - pad;
}

static void t_key(const char *secret, unsigned char *salt, unsigned char *key)
{
	char digest[] = "SHA256", info[] = STORE_KDF_INFO;
	char *sec = strdup(secret);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, sec,
					      strlen(sec)),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, 16),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
					      strlen(info)),
	    OSSL_PARAM_construct_end(),
	};

	CHECK_INT(EVP_KDF_derive(c, key, 32, p), 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
	free(sec);
}

/* The plaintext of a settings file's text, or NULL. */
static char *t_decrypt(const char *text, const char *secret)
{
	static unsigned char data[STORE_MAX_FILE_BYTES];
	unsigned char salt[32], nonce[32], key[32], tag[16];
	unsigned char *pt = NULL;
	EVP_CIPHER_CTX *c;
	int n, len, ok;

	if (strncmp(text, STORE_HEADER "\n", strlen(STORE_HEADER) + 1) ||
	    t_b64(text, "salt", salt) != 16 ||
	    t_b64(text, "nonce", nonce) != 12)
		return NULL;
	n = t_b64(text, "data", data);
	if (n <= 16)
		return NULL;
	n -= 16;
	memcpy(tag, data + n, 16);
	t_key(secret, salt, key);
	pt = calloc(1, (size_t)n + 1);
	c = EVP_CIPHER_CTX_new();
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &len,
			       (const unsigned char *)STORE_HEADER,
			       (int)strlen(STORE_HEADER)) == 1 &&
	     EVP_DecryptUpdate(c, pt, &len, data, n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
	     EVP_DecryptFinal_ex(c, pt + len, &len) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		free(pt);
		return NULL;
	}
	return (char *)pt;
}

/* A settings file holding json, made without store.c. */
static void t_encrypt(const char *path, const char *json, const char *secret)
{
	unsigned char salt[16] = "0123456789abcdef", nonce[12] = "nonce-nonce";
	unsigned char key[32], ct[4096];
	char b64[8192], text[16384];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = (int)strlen(json), len;

	t_key(secret, salt, key);
	CHECK_INT(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce),
		  1);
	CHECK_INT(EVP_EncryptUpdate(c, NULL, &len,
				    (const unsigned char *)STORE_HEADER,
				    (int)strlen(STORE_HEADER)),
		  1);
	CHECK_INT(
	    EVP_EncryptUpdate(c, ct, &len, (const unsigned char *)json, n), 1);
	CHECK_INT(EVP_EncryptFinal_ex(c, ct + len, &len), 1);
	CHECK_INT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, ct + n), 1);
	EVP_CIPHER_CTX_free(c);
	len = snprintf(text, sizeof(text), "%s\r\n", STORE_HEADER);
	EVP_EncodeBlock((unsigned char *)b64, salt, 16);
	len += snprintf(text + len, sizeof(text) - (size_t)len, "salt %s\r\n",
			b64);
	EVP_EncodeBlock((unsigned char *)b64, nonce, 12);
	len += snprintf(text + len, sizeof(text) - (size_t)len, "nonce %s\r\n",
			b64);
	EVP_EncodeBlock((unsigned char *)b64, ct, n + 16);
	len += snprintf(text + len, sizeof(text) - (size_t)len, "data %s\r\n",
			b64);
	write_all(path, text, (size_t)len);
}

/*
 * store_b64_decode() into exactly cap bytes followed by a guard region: the
 * guard must be intact afterwards (EVP_DecodeBlock() writes whole 3-byte
 * groups, the '=' padding included, and ASan cannot see inside libcrypto),
 * and on failure nothing at all is written. The bytes go to got.
 */
#define GUARD_BYTES 32
#define GUARD 0xa5

static int decode_guarded(const char *in, size_t cap, unsigned char *got)
{
	unsigned char buf[64 + GUARD_BYTES];
	size_t i, touched = 0;
	int rc;

	memset(buf, GUARD, sizeof(buf));
	rc = store_b64_decode(in, strlen(in), buf, cap);
	for (i = cap; i < cap + GUARD_BYTES; i++)
		touched += buf[i] != GUARD;
	if (touched)
		fprintf(stderr,
			"\"%s\" into %zu bytes: %zu guard bytes overwritten\n",
			in, cap, touched);
	CHECK_INT(touched, 0);
	for (i = 0, touched = 0; rc < 0 && i < cap; i++)
		touched += buf[i] != GUARD;
	CHECK_INT(touched, 0); /* nothing written on failure */
	if (got)
		memcpy(got, buf, cap);
	return rc;
}

static void test_store_b64_decode_bounds(void)
{
	static const struct {
		const char *in;
		size_t cap;
		int want;
	} cases[] = {
	    /* The salt line: 16 bytes, "==" padded. */
	    {"AAAAAAAAAAAAAAAAAAAAAA==", 16, 16},
	    {"AAAAAAAAAAAAAAAAAAAAAA==", 15, -ENOBUFS},
	    /* The same length unpadded is 18 bytes: too many for a salt. */
	    {"AAAAAAAAAAAAAAAAAAAAAAAA", 16, -ENOBUFS},
	    {"AAAAAAAAAAAAAAAAAAAAAAA=", 16, -ENOBUFS},
	    {"AAAAAAAAAAAAAAAAAAAAAAAA", 18, 18},
	    {"QUJD", 3, 3},
	    {"QUI=", 2, 2},
	    {"QQ==", 1, 1},
	    {"QQ==", 0, -ENOBUFS},
	    {"", 0, 0},
	    {"", 16, 0},
	    /* Not a multiple of 4. */
	    {"A", 16, -EBADMSG},
	    {"AA", 16, -EBADMSG},
	    {"QUJ", 16, -EBADMSG},
	    {"QUJDR", 16, -EBADMSG},
	    {"QUJDRA=", 16, -EBADMSG},
	    /* Outside the alphabet, misplaced '=', spare bits, spaces. */
	    {"QUJ*", 16, -EBADMSG},
	    {"QU=D", 16, -EBADMSG},
	    {"Q===", 16, -EBADMSG},
	    {"====", 16, -EBADMSG},
	    {"QR==", 16, -EBADMSG},
	    {"QUJ\n", 16, -EBADMSG},
	    {" QUJ", 16, -EBADMSG},
	    {"QUJ ", 16, -EBADMSG},
	    {"QUJDQUJ*", 16, -EBADMSG},
	    {"QUJD\nQUJD", 16, -EBADMSG},
	    {"QUJ*", 0, -EBADMSG},
	};
	unsigned char bytes[48], got[64], text[72];
	size_t i, n;
	char *big;

	for (i = 0; i < SSFS_ARRAY_SIZE(cases); i++) {
		int rc = decode_guarded(cases[i].in, cases[i].cap, got);

		if (rc != cases[i].want)
			fprintf(stderr, "\"%s\" into %zu bytes: %d, not %d\n",
				cases[i].in, cases[i].cap, rc, cases[i].want);
		CHECK_INT(rc, cases[i].want);
	}
	CHECK(memcmp(got, "AB", 2) != 0); /* the last case wrote nothing */
	CHECK_INT(decode_guarded("QUI=", 2, got), 2);
	CHECK(memcmp(got, "AB", 2) == 0);

	/* Every length 0..48 (so each padding): exact room, one more, one
	 * less. */
	for (n = 0; n <= sizeof(bytes); n++) {
		for (i = 0; i < n; i++)
			bytes[i] = (unsigned char)(i * 37 + n);
		EVP_EncodeBlock(text, bytes, (int)n);
		CHECK_INT(decode_guarded((char *)text, n, got), n);
		CHECK(memcmp(got, bytes, n) == 0);
		CHECK_INT(decode_guarded((char *)text, n + 1, got), n);
		if (n)
			CHECK_INT(decode_guarded((char *)text, n - 1, got),
				  -ENOBUFS);
	}

	/* Longer than any settings file. */
	big = malloc(STORE_MAX_FILE_BYTES + 5);
	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, 'A', STORE_MAX_FILE_BYTES + 4);
	big[STORE_MAX_FILE_BYTES + 4] = '\0';
	CHECK_INT(store_b64_decode(big, STORE_MAX_FILE_BYTES + 4,
				   (unsigned char *)big, STORE_MAX_FILE_BYTES),
		  -EBADMSG);
	free(big);
}

static void test_store_round_trip(void)
{
	char path[PATHLEN], dir[PATHLEN], names[1024], err[256] = "";
	struct store_tokens in, out;
	struct store *s;
	struct stat st;
	char *a, *b, *pt;
	size_t alen, blen;
	int64_t before = clock_wall_ms(), after;

	fresh_dir(path, "rt", "OAuthSettings.txt");
	s = store_open(path, SECRET);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(!store_is_memory(s));
	CHECK_STR(store_location(s), path);
	sample(&in);
	memset(&out, 0, sizeof(out));
	CHECK_INT(store_save(s, &in, err, sizeof(err)), 0);
	CHECK_INT(store_load(s, &out, err, sizeof(err)), 0);
	after = clock_wall_ms();
	CHECK_STR(out.access_token, ACCESS);
	CHECK_STR(out.refresh_token, REFRESH);
	CHECK_INT(out.expires_at_ms, 4102444800123LL);
	CHECK_STR(out.scope, "READ_SHEETS WRITE_SHEETS");
	CHECK_STR(out.api_base, "https://api.smartsheet.com/2.0");
	CHECK(out.saved_at_ms >= before && out.saved_at_ms <= after);
	CHECK_STR(err, "");
	store_tokens_release(&out);

	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(list_dir(tpath(dir, "rt"), names, sizeof(names)), 1);
	CHECK_STR(names, "OAuthSettings.txt ");

	a = read_all(path, &alen);
	CHECK(a && strstr(a, ACCESS) == NULL && strstr(a, REFRESH) == NULL);
	CHECK(a && strstr(a, "READ_SHEETS") == NULL);
	CHECK(a && strncmp(a, STORE_HEADER "\nsalt ", 35) == 0);
	CHECK(a && alen > 0 && a[alen - 1] == '\n');
	/* The documented format, read without store.c. */
	pt = a ? t_decrypt(a, SECRET) : NULL;
	CHECK(pt && strstr(pt, "\"access_token\":\"" ACCESS "\"") != NULL);
	CHECK(pt && strstr(pt, "\"expires_at_ms\":4102444800123") != NULL);
	CHECK(pt && strchr(pt, '\n') == NULL && strstr(pt, "\": ") == NULL);
	free(pt);

	/* Fresh salt and nonce each time: same tokens, other bytes. */
	CHECK_INT(store_save(s, &in, err, sizeof(err)), 0);
	b = read_all(path, &blen);
	CHECK(a && b && strcmp(a, b) != 0);
	CHECK(a && b && strncmp(strstr(a, "salt"), strstr(b, "salt"), 29));
	CHECK(a && b && strncmp(strstr(a, "nonce"), strstr(b, "nonce"), 22));
	CHECK_INT(list_dir(dir, names, sizeof(names)), 1);
	free(a);
	free(b);

	/* Large times stay exact. */
	in.expires_at_ms = STORE_MAX_MS;
	CHECK_INT(store_save(s, &in, err, sizeof(err)), 0);
	CHECK_INT(store_load(s, &out, err, sizeof(err)), 0);
	CHECK_INT(out.expires_at_ms, STORE_MAX_MS);
	store_tokens_release(&out);
	in.expires_at_ms = STORE_MAX_MS + 1;
	CHECK_INT(store_save(s, &in, err, sizeof(err)), -EINVAL);
	in.expires_at_ms = -1;
	CHECK_INT(store_save(s, &in, err, sizeof(err)), -EINVAL);

	store_tokens_release(&in);
	store_close(s);
}

static void test_store_null_fields(void)
{
	char path[PATHLEN], err[256] = "";
	struct store_tokens in, out;
	struct store *s;

	fresh_dir(path, "nulls", "OAuthSettings.txt");
	s = store_open(path, SECRET);
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	CHECK_INT(store_save(s, &in, err, sizeof(err)), 0);
	out.expires_at_ms = 99;
	CHECK_INT(store_load(s, &out, err, sizeof(err)), 0);
	CHECK(out.access_token == NULL && out.refresh_token == NULL);
	CHECK(out.scope == NULL && out.api_base == NULL);
	CHECK_INT(out.expires_at_ms, 0);
	CHECK(out.saved_at_ms > 0);
	store_tokens_release(&out);

	/* Only the refresh token, as after a failed exchange. */
	in.refresh_token = strdup(REFRESH);
	CHECK_INT(store_save(s, &in, err, sizeof(err)), 0);
	CHECK_INT(store_load(s, &out, err, sizeof(err)), 0);
	CHECK(out.access_token == NULL);
	CHECK_STR(out.refresh_token, REFRESH);
	store_tokens_release(&out);
	store_tokens_release(&in);
	store_close(s);
}

static void test_store_wrong_secret(void)
{
	char path[PATHLEN], err[512];

	fresh_dir(path, "secret", "OAuthSettings.txt");
	save_sample(path);
	CHECK_INT(load_with(path, "client-secret-B", err, sizeof(err)),
		  -EBADMSG);
	CHECK(strstr(err, "cannot decrypt") != NULL);
	CHECK(strstr(err, "OAuthClientSecret") != NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK(strchr(err, '\n') == NULL);
	CHECK_INT(load_with(path, "", err, sizeof(err)), -EBADMSG);
	/* Another "machine": a new store with the same secret reads it. */
	CHECK_INT(load_with(path, SECRET, err, sizeof(err)), 0);
}

static void test_store_empty_secret(void)
{
	char path[PATHLEN];
	struct store *s;
	struct store_tokens t;
	char err[256] = "";

	fresh_dir(path, "nosecret", "OAuthSettings.txt");
	s = store_open(path, NULL);
	sample(&t);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	store_tokens_release(&t);
	store_close(s);
	CHECK_INT(load_with(path, "", err, sizeof(err)), 0);
	CHECK_INT(load_with(path, SECRET, err, sizeof(err)), -EBADMSG);
}

/* Replace path's bytes, load with SECRET, expect -EBADMSG. */
static void expect_bad(const char *path, const void *bytes, size_t len,
		       const char *want_in_err)
{
	char err[512] = "";

	write_all(path, bytes, len);
	CHECK_INT(load_with(path, SECRET, err, sizeof(err)), -EBADMSG);
	if (want_in_err && !strstr(err, want_in_err)) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err,
			want_in_err);
		CHECK(0);
	}
}

/* How many bytes line `name` of text decodes to. */
static size_t b64_len(const char *text, const char *name)
{
	static unsigned char raw[STORE_MAX_FILE_BYTES];
	int n = t_b64(text, name, raw);

	return n > 0 ? (size_t)n : 0;
}

/* Flip one bit of the decoded value on line `name`, re-encoded. */
static void flip_decoded(char *text, const char *name, size_t byte)
{
	unsigned char raw[STORE_MAX_FILE_BYTES];
	char key[16], *p, *e;
	int n;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key) + strlen(key);
	e = strchr(p, '\n');
	n = t_b64(text, name, raw);
	CHECK(n > 0 && byte < (size_t)n);
	raw[byte % (size_t)n] ^= 0x10;
	/* Same length: the encoding of n bytes has a fixed size. */
	CHECK_INT(EVP_EncodeBlock((unsigned char *)p, raw, n), e - p);
	*e = '\n';
}

static void test_store_damaged_files(void)
{
	char path[PATHLEN], dir[PATHLEN], names[256];
	static const size_t cuts[] = {0, 1, 10, 29, 30, 31, 40, 60, 70, 100};
	static const char swapped[] =
	    STORE_HEADER "\n"
			 "nonce AAAAAAAAAAAAAAAA\n"
			 "salt AAAAAAAAAAAAAAAAAAAAAA==\n"
			 "data AAAAAAAAAAAAAAAAAAAAAAAA\n";
	char *good, *bad;
	size_t len, i;
	int flips = 0;

	fresh_dir(path, "damaged", "OAuthSettings.txt");
	save_sample(path);
	good = read_all(path, &len);
	CHECK(good != NULL && len > 100);
	if (!good)
		return;
	bad = malloc(STORE_MAX_FILE_BYTES * 16 + 1);

	/* Truncated anywhere, including just before the final newline. */
	for (i = 0; i < SSFS_ARRAY_SIZE(cuts); i++)
		expect_bad(path, good, cuts[i], NULL);
	expect_bad(path, good, len / 2, NULL);
	expect_bad(path, good, len - 2, NULL);
	expect_bad(path, good, len - 5, NULL);
	expect_bad(path, "", 0, "not a smartsheetfs OAuth settings file");

	/* Every single-bit change of the text is noticed. */
	for (i = 0; i < len; i++) {
		memcpy(bad, good, len);
		bad[i] ^= (char)(1 << (i % 7));
		expect_bad(path, bad, len, NULL);
		flips++;
	}
	CHECK_INT(flips, len);

	/* Bit flips in the decoded salt, nonce, data and tag: the text is
	 * well formed, the authentication fails. */
	memcpy(bad, good, len + 1);
	flip_decoded(bad, "salt", 15);
	expect_bad(path, bad, len, "cannot decrypt");
	memcpy(bad, good, len + 1);
	flip_decoded(bad, "nonce", 0);
	expect_bad(path, bad, len, "cannot decrypt");
	memcpy(bad, good, len + 1);
	flip_decoded(bad, "data", 3);
	expect_bad(path, bad, len, "cannot decrypt");
	memcpy(bad, good, len + 1);
	flip_decoded(bad, "data", b64_len(good, "data") - 1);
	expect_bad(path, bad, len, "cannot decrypt");

	/* The spare bits before "==" of the salt: the same bytes decoded, but
	 * not the text that was written, so a change all the same. */
	memcpy(bad, good, len + 1);
	{
		static const char b64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		char *q = strstr(bad, "\nsalt ") + 6 + 21;

		CHECK(q[1] == '=' && q[2] == '=');
		*q = b64[(strchr(b64, *q) - b64) ^ 1];
		CHECK(b64_len(bad, "salt") == 16);
	}
	expect_bad(path, bad, len, "damaged");

	/* Not ours at all, or another version. */
	snprintf(bad, len + 1, "%s", good);
	memcpy(bad, "hello, world!", 13);
	expect_bad(path, bad, len, "not a smartsheetfs OAuth settings file");
	snprintf(bad, len + 1, "%s", good);
	bad[strlen(STORE_HEADER) - 1] = '2';
	expect_bad(path, bad, len, "version");
	expect_bad(path, "smartsheetfs-oauth-settings 1\n", 30, "damaged");
	expect_bad(path, swapped, sizeof(swapped) - 1, "damaged");
	/* Something after the data line. */
	snprintf(bad, len + 16, "%sextra\n", good);
	expect_bad(path, bad, len + 6, "damaged");

	/* 1 MiB: too big to be ours, even with our header. */
	memset(bad, 'A', 1 << 20);
	memcpy(bad, good, len);
	expect_bad(path, bad, 1 << 20, "not a settings file");
	memset(bad, 0, 1 << 20);
	expect_bad(path, bad, 1 << 20, "not a settings file");
	/* A folder where the file should be. */
	unlink(path);
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(load_with(path, SECRET, NULL, 0), -EBADMSG);
	CHECK_INT(rmdir(path), 0);

	/* CRLF line ends (a file pasted through another system), or no final
	 * newline, are fine. */
	for (i = 0, len = 0; good[i]; i++) {
		if (good[i] == '\n')
			bad[len++] = '\r';
		bad[len++] = good[i];
	}
	write_all(path, bad, len);
	CHECK_INT(load_with(path, SECRET, NULL, 0), 0);
	write_all(path, good, strlen(good) - 1);
	CHECK_INT(load_with(path, SECRET, NULL, 0), 0);
	CHECK_INT(list_dir(tpath(dir, "damaged"), names, sizeof(names)), 1);
	free(bad);
	free(good);
}

/* Decrypts, but the JSON inside is not exactly ours. */
static void test_store_bad_payload(void)
{
	static const char *bad[] = {
	    "not json",
	    "[]",
	    "{}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":1,\"scope\":null,\"api_base\":null}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":1,\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1,\"extra\":1}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":1,\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1,\"scope\":null}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":1.5,\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":-1,\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":1e300,\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at_ms\":\"1\",\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1}",
	    "{\"access_token\":1,\"refresh_token\":\"r\","
	    "\"expires_at_ms\":1,\"scope\":null,\"api_base\":null,"
	    "\"saved_at_ms\":1}",
	};
	static const char good[] =
	    "{\"access_token\":\"" ACCESS "\",\"refresh_token\":null,"
	    "\"expires_at_ms\":9007199254740992,\"scope\":null,"
	    "\"api_base\":\"https://x\",\"saved_at_ms\":1764322800000}";
	struct sbuf text = SBUF_INIT(STORE_MAX_FILE_BYTES);
	char path[PATHLEN], err[512], *pt;
	struct store *s;
	struct store_tokens t;
	size_t i;

	fresh_dir(path, "payload", "OAuthSettings.txt");
	/* Our own encryption, by the documented recipe, loads. */
	t_encrypt(path, good, SECRET);
	s = store_open(path, SECRET);
	memset(&t, 0, sizeof(t));
	CHECK_INT(store_load(s, &t, err, sizeof(err)), 0);
	CHECK_STR(t.access_token, ACCESS);
	CHECK(t.refresh_token == NULL);
	CHECK_INT(t.expires_at_ms, STORE_MAX_MS);
	CHECK_STR(t.api_base, "https://x");
	CHECK_INT(t.saved_at_ms, 1764322800000LL);
	store_tokens_release(&t);
	store_close(s);
	for (i = 0; i < SSFS_ARRAY_SIZE(bad); i++) {
		t_encrypt(path, bad[i], SECRET);
		err[0] = '\0';
		CHECK_INT(load_with(path, SECRET, err, sizeof(err)), -EBADMSG);
		CHECK(strstr(err, "not valid settings") != NULL);
	}

	/* store_seal() writes the documented format around any payload. */
	s = store_open(path, SECRET);
	CHECK_INT(store_seal(s, good, strlen(good), &text), 0);
	pt = t_decrypt(text.buf, SECRET);
	CHECK_STR(pt, good);
	free(pt);
	write_all(path, text.buf, text.len);
	CHECK_INT(store_load(s, &t, err, sizeof(err)), 0);
	CHECK_STR(t.api_base, "https://x");
	store_tokens_release(&t);
	sbuf_reset(&text);
	CHECK_INT(store_seal(s, bad[0], strlen(bad[0]), &text), 0);
	write_all(path, text.buf, text.len);
	CHECK_INT(store_load(s, &t, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "not valid settings") != NULL);
	CHECK_INT(store_seal(s, good, STORE_MAX_FILE_BYTES + 1, &text), -EFBIG);
	sbuf_release(&text);
	store_close(s);
}

static void test_store_save_refuses_foreign_file(void)
{
	char path[PATHLEN], dir[PATHLEN], names[256], err[512] = "";
	static const char bashrc[] = "export PATH=$HOME/bin:$PATH\n";
	struct store_tokens t;
	struct store *s;
	char *before, *after;
	size_t blen, alen;

	fresh_dir(path, "refuse", "OAuthSettings.txt");
	save_sample(path);
	before = read_all(path, &blen);
	s = store_open(path, "client-secret-B");
	sample(&t);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "not replacing") != NULL);
	CHECK(strstr(err, "cannot decrypt") != NULL);
	after = read_all(path, &alen);
	CHECK(before && after && blen == alen && !memcmp(before, after, blen));
	free(after);
	CHECK_INT(list_dir(tpath(dir, "refuse"), names, sizeof(names)), 1);

	/* Not a settings file at all: never overwritten either. */
	write_all(path, bashrc, strlen(bashrc));
	err[0] = '\0';
	CHECK_INT(store_save(s, &t, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "not a smartsheetfs OAuth settings file") != NULL);
	after = read_all(path, &alen);
	CHECK(after && strcmp(after, bashrc) == 0);
	free(after);
	CHECK_INT(list_dir(dir, names, sizeof(names)), 1);

	/* Once removed, the save goes through. */
	CHECK_INT(unlink(path), 0);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	store_tokens_release(&t);
	store_close(s);
	free(before);
}

static void test_store_too_big(void)
{
	char path[PATHLEN], dir[PATHLEN], names[256], err[512] = "";
	struct store_tokens t;
	struct store *s;

	fresh_dir(path, "big", "OAuthSettings.txt");
	s = store_open(path, SECRET);
	memset(&t, 0, sizeof(t));
	t.access_token = malloc(60000);
	memset(t.access_token, 'x', 59999);
	t.access_token[59999] = '\0';
	CHECK_INT(store_save(s, &t, err, sizeof(err)), -EFBIG);
	CHECK(strstr(err, "too large") != NULL);
	CHECK_INT(list_dir(tpath(dir, "big"), names, sizeof(names)), 0);
	store_tokens_release(&t);
	store_close(s);
}

/* A write that fails half way (RLIMIT_FSIZE, in a child): the old file is
 * intact and no temporary file is left. */
static void test_store_failed_write_leaves_old_file(void)
{
	char path[PATHLEN], dir[PATHLEN], names[256];
	struct store_tokens t;
	char *before, *after;
	size_t blen, alen;
	int status = -1;
	pid_t pid;

	fresh_dir(path, "fsize", "OAuthSettings.txt");
	save_sample(path);
	before = read_all(path, &blen);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = {100, 100};
		struct store *s = store_open(path, SECRET);
		char err[512] = "";
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		sample(&t);
		rc = store_save(s, &t, err, sizeof(err));
		store_tokens_release(&t);
		store_close(s);
		_exit(rc == -EFBIG && strstr(err, "cannot write") ? 0 : 1);
	}
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	after = read_all(path, &alen);
	CHECK(before && after && blen == alen && !memcmp(before, after, blen));
	CHECK_INT(list_dir(tpath(dir, "fsize"), names, sizeof(names)), 1);
	CHECK_STR(names, "OAuthSettings.txt ");
	free(before);
	free(after);
}

static void test_store_creates_parents(void)
{
	char path[PATHLEN], dir[PATHLEN];
	struct stat st;

	snprintf(path, sizeof(path), "%s/new/deeper/OAuthSettings.txt", tmpdir);
	save_sample(path);
	CHECK_INT(stat(tpath(dir, "new"), &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(stat(tpath(dir, "new/deeper"), &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(load_with(path, SECRET, NULL, 0), 0);
}

static void test_store_parent_is_a_file(void)
{
	char path[PATHLEN], dir[PATHLEN], names[256], err[512] = "";
	struct store_tokens t;
	struct store *s;
	size_t len;
	char *after;

	fresh_dir(path, "pfile", "plain");
	write_all(path, "data\n", 5);
	strcat(path, "/OAuthSettings.txt");
	s = store_open(path, SECRET);
	sample(&t);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), -ENOTDIR);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, ACCESS) == NULL);
	CHECK_INT(store_lock(s, 100, err, sizeof(err)), -ENOTDIR);
	CHECK_INT(store_load(s, &t, err, sizeof(err)), -ENOTDIR);
	CHECK_STR(t.access_token, ACCESS);
	CHECK_INT(list_dir(tpath(dir, "pfile"), names, sizeof(names)), 1);
	CHECK_STR(names, "plain ");
	after = read_all(tpath(dir, "pfile/plain"), &len);
	CHECK(after && strcmp(after, "data\n") == 0);
	free(after);
	/* A deeper missing folder under a file, too. */
	store_close(s);
	snprintf(path, sizeof(path), "%s/pfile/plain/a/b/OAuthSettings.txt",
		 tmpdir);
	s = store_open(path, SECRET);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), -ENOTDIR);
	CHECK(strstr(err, path) != NULL);
	store_tokens_release(&t);
	store_close(s);
}

static void test_store_no_file(void)
{
	char path[PATHLEN], err[512] = "";
	struct store_tokens t;
	struct store *s;

	fresh_dir(path, "none", "OAuthSettings.txt");
	s = store_open(path, SECRET);
	memset(&t, 0, sizeof(t));
	CHECK_INT(store_load(s, &t, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
	CHECK(t.access_token == NULL);
	store_close(s);
}

static void test_store_memory(void)
{
	struct store *s = store_open("memory://", SECRET);
	struct store *u = store_open("MEMORY://", SECRET);
	struct store_tokens in, out;
	char err[256] = "", *st = NULL;

	CHECK(s && u);
	if (!s || !u)
		return;
	CHECK(store_is_memory(s) && store_is_memory(u));
	CHECK_STR(store_location(s), "memory://");
	CHECK_STR(store_location(u), "memory://");
	memset(&out, 0, sizeof(out));
	CHECK_INT(store_load(s, &out, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "memory://") != NULL);
	sample(&in);
	CHECK_INT(store_save(s, &in, err, sizeof(err)), 0);
	/* A copy was kept: the caller's strings may go. */
	store_tokens_release(&in);
	CHECK_INT(store_load(s, &out, err, sizeof(err)), 0);
	CHECK_STR(out.access_token, ACCESS);
	CHECK_STR(out.refresh_token, REFRESH);
	CHECK_INT(out.expires_at_ms, 4102444800123LL);
	CHECK(out.saved_at_ms > 0 && out.saved_at_ms != 42);
	store_tokens_release(&out);
	/* Each memory store is its own. */
	CHECK_INT(store_load(u, &out, err, sizeof(err)), -ENOENT);
	CHECK_INT(store_lock(s, 100, err, sizeof(err)), 0);
	store_unlock(s);

	CHECK_INT(store_get_state(s, 600, &st, NULL, 0), -ENOENT);
	CHECK_INT(store_put_state(s, "abc123", err, sizeof(err)), 0);
	CHECK_INT(store_get_state(s, 600, &st, NULL, 0), 0);
	CHECK_STR(st, "abc123");
	free(st);
	CHECK_INT(store_get_state(s, 0, &st, NULL, 0), -ENOENT);
	store_clear_state(s);
	CHECK_INT(store_get_state(s, 600, &st, NULL, 0), -ENOENT);
	CHECK_INT(store_put_state(s, "again", err, sizeof(err)), 0);
	store_close(s); /* frees the state */
	store_close(u);
	store_close(NULL);
}

static void test_store_tokens_copy_release(void)
{
	struct store_tokens a, b;

	sample(&a);
	CHECK_INT(store_tokens_copy(&b, &a), 0);
	CHECK(b.access_token != a.access_token);
	CHECK_STR(b.access_token, ACCESS);
	CHECK_STR(b.refresh_token, REFRESH);
	CHECK_STR(b.scope, a.scope);
	CHECK_STR(b.api_base, a.api_base);
	CHECK_INT(b.expires_at_ms, a.expires_at_ms);
	CHECK_INT(b.saved_at_ms, 42);
	store_tokens_release(&a);
	CHECK(a.access_token == NULL && a.expires_at_ms == 0);
	store_tokens_release(&a);
	store_tokens_release(NULL);
	CHECK_STR(b.access_token, ACCESS);
	store_tokens_release(&b);
	memset(&a, 0, sizeof(a));
	CHECK_INT(store_tokens_copy(&b, &a), 0);
	CHECK(b.access_token == NULL && b.scope == NULL);
}

static void test_store_lock_processes(void)
{
	char path[PATHLEN], lock[PATHLEN + 8], err[512] = "";
	int64_t t0;
	struct store *s;
	struct stat st;
	int fds[2], status = -1;
	long waited_ms;
	pid_t pid;
	char c = 0;

	fresh_dir(path, "lock", "OAuthSettings.txt");
	CHECK_INT(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		struct store *cs = store_open(path, SECRET);
		int rc = store_lock(cs, 1000, NULL, 0);

		if (write(fds[1], rc ? "n" : "y", 1) != 1)
			_exit(2);
		usleep(300 * 1000);
		store_unlock(cs);
		store_close(cs);
		_exit(rc ? 1 : 0);
	}
	CHECK(pid > 0);
	close(fds[1]);
	CHECK_INT(read(fds[0], &c, 1), 1);
	close(fds[0]);
	CHECK_INT(c, 'y');
	s = store_open(path, SECRET);
	CHECK_INT(store_lock(s, 50, err, sizeof(err)), -ETIMEDOUT);
	CHECK(strstr(err, "timed out") != NULL);
	CHECK(strstr(err, path) != NULL);
	t0 = clock_mono_ms();
	CHECK_INT(store_lock(s, 2000, err, sizeof(err)), 0);
	waited_ms = (long)(clock_mono_ms() - t0);
	CHECK(waited_ms < 1900);
	/* We hold it now: the child has let go and exited cleanly. */
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	CHECK_INT(stat(lock, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	/* Saves and loads work under the lock (no self-deadlock). */
	save_sample(path);
	CHECK_INT(load_with(path, SECRET, NULL, 0), 0);
	store_unlock(s);
	/* Free again: a zero timeout succeeds at once. */
	CHECK_INT(store_lock(s, 0, err, sizeof(err)), 0);
	store_unlock(s);
	store_close(s);
}

#define THREADS 4
#define ROUNDS 50

struct counter {
	struct store *s;
	int value;   /* protected by the store lock */
	int inside;  /* protected by the store lock */
	int overlap; /* how often two threads were inside at once */
	int failed;
};

static void *bump(void *arg)
{
	struct counter *c = arg;
	int i, v;

	for (i = 0; i < ROUNDS; i++) {
		if (store_lock(c->s, 10000, NULL, 0)) {
			__atomic_add_fetch(&c->failed, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (__atomic_add_fetch(&c->inside, 1, __ATOMIC_SEQ_CST) != 1)
			__atomic_add_fetch(&c->overlap, 1, __ATOMIC_SEQ_CST);
		v = c->value;
		usleep(200);
		c->value = v + 1;
		__atomic_sub_fetch(&c->inside, 1, __ATOMIC_SEQ_CST);
		store_unlock(c->s);
	}
	return NULL;
}

static void run_threads(const char *location)
{
	struct counter c;
	pthread_t tid[THREADS];
	int i;

	memset(&c, 0, sizeof(c));
	c.s = store_open(location, SECRET);
	for (i = 0; i < THREADS; i++)
		CHECK_INT(pthread_create(&tid[i], NULL, bump, &c), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	CHECK_INT(c.failed, 0);
	CHECK_INT(c.overlap, 0);
	CHECK_INT(c.value, THREADS * ROUNDS);
	store_close(c.s);
}

static void *hold(void *arg)
{
	struct store *s = arg;

	if (store_lock(s, 1000, NULL, 0))
		return arg;
	usleep(300 * 1000);
	store_unlock(s);
	return NULL;
}

static void test_store_lock_threads(void)
{
	char path[PATHLEN], err[256] = "";
	struct store *s;
	pthread_t tid;
	void *ret = &ret;

	run_threads(fresh_dir(path, "threads", "OAuthSettings.txt"));
	run_threads("memory://");

	/* The mutex alone times out too (memory://). */
	s = store_open("memory://", SECRET);
	CHECK_INT(pthread_create(&tid, NULL, hold, s), 0);
	usleep(100 * 1000);
	CHECK_INT(store_lock(s, 50, err, sizeof(err)), -ETIMEDOUT);
	CHECK(strstr(err, "timed out") != NULL);
	CHECK_INT(store_lock(s, 2000, err, sizeof(err)), 0);
	store_unlock(s);
	pthread_join(tid, &ret);
	CHECK(ret == NULL);
	store_close(s);
}

static void test_store_state(void)
{
	char path[PATHLEN], spath[PATHLEN + 8], text[128], err[256] = "";
	struct store *s;
	struct stat st;
	char *got = NULL;

	fresh_dir(path, "state", "OAuthSettings.txt");
	snprintf(spath, sizeof(spath), "%s.state", path);
	s = store_open(path, SECRET);
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	CHECK_INT(store_put_state(s, "0123456789abcdef0123456789abcdef", err,
				  sizeof(err)),
		  0);
	CHECK_INT(stat(spath, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), 0);
	CHECK_STR(got, "0123456789abcdef0123456789abcdef");
	free(got);
	got = NULL;
	/* Not consumed: the same URL may be pasted twice. */
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), 0);
	free(got);
	got = NULL;
	CHECK_INT(store_get_state(s, 0, &got, NULL, 0), -ENOENT);
	CHECK(got == NULL);

	/* Issued 11 minutes ago: too old for 10 minutes, fine for 20. */
	snprintf(text, sizeof(text), "oldstate %lld\n",
		 (long long)time(NULL) - 660);
	write_all(spath, text, strlen(text));
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	CHECK_INT(store_get_state(s, 1200, &got, NULL, 0), 0);
	CHECK_STR(got, "oldstate");
	free(got);
	got = NULL;
	/* From the future, or garbled: none. */
	snprintf(text, sizeof(text), "x %lld\n", (long long)time(NULL) + 3600);
	write_all(spath, text, strlen(text));
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	write_all(spath, "garbage\n", 8);
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	write_all(spath, "x 12abc\n", 8);
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	snprintf(text, sizeof(text), "x -9223372036854775807\n");
	write_all(spath, text, strlen(text));
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	write_all(spath, "x 99999999999999999999\n", 23);
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);

	CHECK_INT(store_put_state(s, "again", err, sizeof(err)), 0);
	store_clear_state(s);
	CHECK_INT(stat(spath, &st), -1);
	CHECK_INT(store_get_state(s, 600, &got, NULL, 0), -ENOENT);
	store_clear_state(s); /* nothing to clear: fine */

	CHECK_INT(store_put_state(s, "", err, sizeof(err)), -EINVAL);
	CHECK_INT(store_put_state(s, "a b", err, sizeof(err)), -EINVAL);
	CHECK_INT(store_put_state(s, "a\n", err, sizeof(err)), -EINVAL);
	CHECK(got == NULL);
	store_close(s);
}

/* A temporary file a killed writer left behind is swept by the next save
 * once it is stale; a fresh one (perhaps another writer's) is not. */
static void test_store_sweeps_stale_temps(void)
{
	char path[PATHLEN], old[PATHLEN + 16], young[PATHLEN + 16];
	char err[512] = "", tok[] = "a";
	struct timespec times[2] = {{.tv_sec = 1000000000},
				    {.tv_sec = 1000000000}};
	struct store_tokens t;
	struct store *s;
	int fd;

	fresh_dir(path, "sweep", "OAuthSettings.txt");
	snprintf(old, sizeof(old), "%s.tmp.AAAAAA", path);
	snprintf(young, sizeof(young), "%s.tmp.BBBBBB", path);
	fd = open(old, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(utimensat(AT_FDCWD, old, times, 0), 0);
	fd = open(young, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	memset(&t, 0, sizeof(t));
	t.access_token = tok;
	s = store_open(path, SECRET);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	CHECK(access(old, F_OK) != 0);
	CHECK_INT(access(young, F_OK), 0);
	store_close(s);
}

/* store_reserve claims room beside the file; the next save releases it. */
static void test_store_reserve(void)
{
	char path[PATHLEN], res[PATHLEN + 16], bad[PATHLEN + 16];
	char err[512] = "", tok[] = "a";
	struct store_tokens t;
	struct store *s;
	struct stat st;

	fresh_dir(path, "reserve", "OAuthSettings.txt");
	snprintf(res, sizeof(res), "%s.reserve", path);
	s = store_open(path, SECRET);
	CHECK_INT(store_reserve(s, err, sizeof(err)), 0);
	CHECK_INT(stat(res, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK(st.st_size >= 4096);
	memset(&t, 0, sizeof(t));
	t.access_token = tok;
	CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	CHECK(access(res, F_OK) != 0);
	store_close(s);

	/* Where the folder cannot exist, nothing is claimed and it says so. */
	snprintf(bad, sizeof(bad), "%s/x", path); /* path is a file now */
	s = store_open(bad, SECRET);
	CHECK(store_reserve(s, err, sizeof(err)) < 0);
	CHECK(strstr(err, bad) != NULL || strstr(err, path) != NULL);
	store_close(s);
	s = store_open("memory://", SECRET);
	CHECK_INT(store_reserve(s, err, sizeof(err)), 0);
	store_close(s);
}

/* What a link planted beside the settings file points to: ours, precious. */
#define VICTIM "a file of ours: never to be overwritten\n"

/* path still holds exactly want. */
static void check_content(const char *path, const char *want, size_t n)
{
	size_t len;
	char *got = read_all(path, &len);

	CHECK(got != NULL);
	if (got && (len != n || memcmp(got, want, n) != 0)) {
		fprintf(stderr, "%s changed: %zu bytes, was %zu\n", path, len,
			n);
		CHECK(0);
	}
	free(got);
}

/*
 * store_lock() (lock) or store_reserve() refuses what is at `at`: want, and
 * one line that names it and says why.
 */
static void expect_refused(struct store *s, bool lock, const char *at, int want,
			   const char *why)
{
	char err[512] = "";
	int rc = lock ? store_lock(s, 100, err, sizeof(err))
		      : store_reserve(s, err, sizeof(err));

	CHECK_INT(rc, want);
	if (lock && rc == 0)
		store_unlock(s);
	if (!strstr(err, at) || !strstr(err, why) || strchr(err, '\n')) {
		fprintf(stderr, "message \"%s\" lacks \"%s\" or \"%s\"\n", err,
			at, why);
		CHECK(0);
	}
}

/*
 * Someone who can write the settings folder plants a symbolic (or hard)
 * link at "<settings>.reserve" or ".lock": store_reserve() must not write
 * zeros through it, store_lock() must not create or lock its target, and
 * the settings file stays as it was.
 */
static void test_store_refuses_links_beside(void)
{
	static const struct {
		bool hard;     /* a hard link to victim, else a symbolic one */
		bool dangling; /* to ghost, which does not exist */
		int want;
		const char *why;
	} plants[] = {
	    {false, false, -ELOOP, "symbolic link"},
	    {false, true, -ELOOP, "symbolic link"},
	    /* Another name of a file of ours passes an owner check. */
	    {true, false, -EMLINK, "hard link"},
	};
	char path[PATHLEN], res[PATHLEN + 16], lck[PATHLEN + 16];
	char victim[PATHLEN], ghost[PATHLEN], err[512] = "";
	struct store_tokens t;
	struct store *s;
	struct stat st;
	char *before;
	size_t blen, i;

	fresh_dir(path, "links", "OAuthSettings.txt");
	save_sample(path);
	before = read_all(path, &blen);
	write_all(tpath(victim, "links/victim"), VICTIM, strlen(VICTIM));
	tpath(ghost, "links/ghost");
	snprintf(res, sizeof(res), "%s.reserve", path);
	snprintf(lck, sizeof(lck), "%s.lock", path);
	s = store_open(path, SECRET);
	for (i = 0; i < 2 * SSFS_ARRAY_SIZE(plants); i++) {
		bool lock = i % 2, hard = plants[i / 2].hard;
		const char *at = lock ? lck : res;
		const char *to = plants[i / 2].dangling ? ghost : victim;

		CHECK_INT(hard ? link(to, at) : symlink(to, at), 0);
		expect_refused(s, lock, at, plants[i / 2].want,
			       plants[i / 2].why);
		check_content(victim, VICTIM, strlen(VICTIM));
		CHECK(access(ghost, F_OK) != 0); /* not created through it */
		/* Left as it was, for the user to see and remove. */
		CHECK(lstat(at, &st) == 0 && S_ISLNK(st.st_mode) == !hard);
		CHECK_INT(unlink(at), 0);
	}
	check_content(path, before, blen);

	/* A refusal let the mutex go; with the links gone all works, twice. */
	CHECK_INT(store_lock(s, 100, err, sizeof(err)), 0);
	CHECK_INT(store_reserve(s, err, sizeof(err)), 0);
	CHECK_INT(store_reserve(s, err, sizeof(err)), 0);
	store_unlock(s);
	CHECK_INT(store_lock(s, 100, err, sizeof(err)), 0);
	store_unlock(s);

	/* A save removes a link at .reserve, not what it points to. */
	CHECK_INT(unlink(res), 0);
	CHECK_INT(symlink(victim, res), 0);
	sample(&t);
	CHECK_INT(store_save(s, &t, err, sizeof(err)), 0);
	store_tokens_release(&t);
	CHECK(lstat(res, &st) != 0);
	check_content(victim, VICTIM, strlen(VICTIM));
	store_close(s);
	free(before);
}

/* Files of another user (root can chown, and the tests run as root in CI),
 * or not files at all, at ".reserve" and ".lock": refused, untouched. */
static void test_store_refuses_foreign_beside(void)
{
	char path[PATHLEN], res[PATHLEN + 16], lck[PATHLEN + 16];
	const char *at;
	struct store *s;
	char *before;
	size_t blen;
	int i;

	fresh_dir(path, "foreign", "OAuthSettings.txt");
	save_sample(path);
	before = read_all(path, &blen);
	snprintf(res, sizeof(res), "%s.reserve", path);
	snprintf(lck, sizeof(lck), "%s.lock", path);
	s = store_open(path, SECRET);

	CHECK_INT(mkfifo(lck, 0600), 0);
	expect_refused(s, true, lck, -EINVAL, "not a regular file");
	CHECK_INT(unlink(lck), 0);

	if (geteuid() != 0)
		fprintf(stderr, "test_store_refuses_foreign_beside: not root, "
				"files of another uid not tried\n");
	for (i = 0; i < 2 && geteuid() == 0; i++) {
		at = i ? lck : res;
		write_all(at, VICTIM, strlen(VICTIM));
		CHECK_INT(chown(at, 65534, 65534), 0);
		expect_refused(s, i, at, -EACCES, "uid 65534");
		check_content(at, VICTIM, strlen(VICTIM));
	}
	check_content(path, before, blen);
	store_close(s);
	free(before);
}

/* store_load() (state: store_get_state()) refuses path: want, nothing
 * read, and one line that names it and says why. */
static void expect_read_refused(struct store *s, bool state, const char *path,
				int want, const char *why)
{
	struct store_tokens t;
	char err[512] = "", *got = NULL;

	memset(&t, 0, sizeof(t));
	if (state)
		CHECK_INT(store_get_state(s, 600, &got, err, sizeof(err)),
			  want);
	else
		CHECK_INT(store_load(s, &t, err, sizeof(err)), want);
	CHECK(t.access_token == NULL && got == NULL);
	if (!strstr(err, path) || !strstr(err, why) || strchr(err, '\n')) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err, why);
		CHECK(0);
	}
	store_tokens_release(&t);
	free(got);
}

/*
 * The settings file and the `auth url` state file are read only when they
 * are regular files of the effective uid, opened without following a
 * link: whoever can write the folder could otherwise point them at a file
 * of their choosing (to make us adopt their tokens or state) or have a save
 * silently replace a user's link. Refused with a message naming the file;
 * what the link points to is neither read nor replaced.
 */
static void test_store_refuses_links_and_foreign_files(void)
{
	char path[PATHLEN], spath[PATHLEN + 8], real[PATHLEN], err[512];
	char text[128];
	struct store_tokens t;
	struct store *s;
	struct stat st;
	size_t blen;
	char *before;

	/* A symbolic link to a good settings file, and to a state someone
	 * else chose. */
	fresh_dir(path, "sfollow", "OAuthSettings.txt");
	snprintf(spath, sizeof(spath), "%s.state", path);
	save_sample(tpath(real, "sfollow/real.txt"));
	before = read_all(real, &blen);
	CHECK_INT(symlink(real, path), 0);
	snprintf(text, sizeof(text), "planted %lld\n", (long long)time(NULL));
	write_all(tpath(real, "sfollow/planted"), text, strlen(text));
	CHECK_INT(symlink(real, spath), 0);
	s = store_open(path, SECRET);
	expect_read_refused(s, false, path, -ELOOP, "symbolic link");
	expect_read_refused(s, true, spath, -ELOOP, "symbolic link");
	/* Never replaced through, nor the link replaced. */
	sample(&t);
	err[0] = '\0';
	CHECK(store_save(s, &t, err, sizeof(err)) < 0);
	CHECK(strstr(err, path) != NULL);
	store_tokens_release(&t);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	check_content(tpath(real, "sfollow/real.txt"), before, blen);
	free(before);
	store_close(s);

	/* Both, as files of another user (root can make them). */
	if (geteuid() != 0) {
		fprintf(stderr, "test_store_refuses_links_and_foreign_files: "
				"not root, files of another uid not tried\n");
		return;
	}
	fresh_dir(path, "sforeign", "OAuthSettings.txt");
	snprintf(spath, sizeof(spath), "%s.state", path);
	save_sample(path);
	write_all(spath, text, strlen(text));
	CHECK_INT(chown(path, 65534, 65534), 0);
	CHECK_INT(chown(spath, 65534, 65534), 0);
	s = store_open(path, SECRET);
	expect_read_refused(s, false, path, -EACCES, "uid 65534");
	expect_read_refused(s, true, spath, -EACCES, "uid 65534");
	store_close(s);
}

int main(void)
{
	if (!t_mkdtemp(tmpdir, sizeof(tmpdir), "store"))
		return 1;

	T(test_store_b64_decode_bounds);
	T(test_store_round_trip);
	T(test_store_null_fields);
	T(test_store_wrong_secret);
	T(test_store_empty_secret);
	T(test_store_damaged_files);
	T(test_store_bad_payload);
	T(test_store_save_refuses_foreign_file);
	T(test_store_too_big);
	T(test_store_failed_write_leaves_old_file);
	T(test_store_creates_parents);
	T(test_store_parent_is_a_file);
	T(test_store_no_file);
	T(test_store_memory);
	T(test_store_tokens_copy_release);
	T(test_store_lock_processes);
	T(test_store_lock_threads);
	T(test_store_state);
	T(test_store_sweeps_stale_temps);
	T(test_store_reserve);
	T(test_store_refuses_links_beside);
	T(test_store_refuses_foreign_beside);
	T(test_store_refuses_links_and_foreign_files);

	t_rmtree(tmpdir);
	return t_run();
}
