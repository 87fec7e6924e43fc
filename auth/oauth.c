/*
 * OAuth 2.0 on the wire (auth/oauth.h): the authorization URL, the `hash`,
 * what a user pastes back, POST /token and its strict answer parser. No
 * state: auth.c calls it from whichever thread refreshes or exchanges.
 * Codes, tokens, bodies and answers are wiped before they are freed.
 */
#include "auth/oauth.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/store.h"
#include "http/http.h"
#include "util/io.h"
#include "util/secret.h"

/* Codes and tokens are short opaque strings; anything longer is not one. */
#define OAUTH_MAX_CODE 2048

int oauth_new_state(char out[OAUTH_STATE_LEN + 1])
{
	unsigned char raw[OAUTH_STATE_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	io_hex(raw, sizeof(raw), out);
	return 0;
}

int oauth_authorize_url(const char *authorize_url, const char *client_id,
			const char *scope, const char *state, char **out)
{
	char *id = http_escape(client_id);
	char *sc = http_escape(scope);
	char *st = http_escape(state);
	const char *sep = strchr(authorize_url, '?') ? "&" : "?";
	int rc = -ENOMEM;

	if (id && sc && st &&
	    asprintf(out,
		     "%s%sresponse_type=code&client_id=%s&scope=%s"
		     "&state=%s",
		     authorize_url, sep, id, sc, st) >= 0)
		rc = 0;
	free(id);
	free(sc);
	free(st);
	return rc;
}

void oauth_hash(const char *secret, const char *value,
		char out[OAUTH_HASH_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	out[0] = '\0';
	if (!ctx)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestUpdate(ctx, "|", 1) == 1 &&
	    EVP_DigestUpdate(ctx, value, strlen(value)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 32)
		io_hex(md, n, out);
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
}

void oauth_pasted_release(struct oauth_pasted *p)
{
	secret_free(p->code);
	free(p->state);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

/* A code is printable ASCII without spaces or URL syntax. */
static bool plausible_code(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > OAUTH_MAX_CODE)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || strchr("&=?#/\"'<>\\", c))
			return false;
	}
	return true;
}

/* Take the value of one query parameter, decoded. 0, -ENOENT, -ENOMEM. */
static int query_value(const char *query, const char *name, char **out)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			int olen = 0;
			char *v = curl_easy_unescape(
			    NULL, p + nl + 1, (int)(len - nl - 1), &olen);
			if (!v)
				return -ENOMEM;
			*out = strdup(v);
			OPENSSL_cleanse(v, (size_t)olen);
			curl_free(v);
			return *out ? 0 : -ENOMEM;
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* The query of a pasted URL (via curl's URL parser) or of "?a=b&...". */
static int pasted_query(const char *text, char **query)
{
	CURLU *u;
	CURLUcode uc;
	char *q = NULL;

	if (text[0] == '?' || !strstr(text, "://")) {
		*query = strdup(text[0] == '?' ? text + 1 : text);
		return *query ? 0 : -ENOMEM;
	}
	u = curl_url();
	if (!u)
		return -ENOMEM;
	uc = curl_url_set(u, CURLUPART_URL, text, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_QUERY, &q, 0);
	curl_url_cleanup(u);
	if (uc != CURLUE_OK || !q)
		return -EINVAL;
	*query = strdup(q);
	OPENSSL_cleanse(q, strlen(q));
	curl_free(q);
	return *query ? 0 : -ENOMEM;
}

int oauth_parse_pasted(const char *text, struct oauth_pasted *p, char *err,
		       size_t errlen)
{
	const char *s = text, *e;
	char *trimmed = NULL, *query = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e == s) {
		snprintf(err, errlen, "no code given");
		return -EINVAL;
	}
	if (plausible_code(s, (size_t)(e - s))) {
		p->code = strndup(s, (size_t)(e - s));
		return p->code ? 0 : -ENOMEM;
	}
	trimmed = strndup(s, (size_t)(e - s));
	if (!trimmed)
		return -ENOMEM;
	rc = pasted_query(trimmed, &query);
	if (rc == -EINVAL) {
		snprintf(err, errlen,
			 "not a code and not a redirect URL with a code");
		goto out;
	}
	if (rc)
		goto out;
	p->is_url = true;
	if ((rc = query_value(query, "error", &p->error)) == -ENOMEM ||
	    (rc = query_value(query, "state", &p->state)) == -ENOMEM ||
	    (rc = query_value(query, "code", &p->code)) == -ENOMEM)
		goto out;
	rc = 0;
	if (!p->error &&
	    (!p->code || !plausible_code(p->code, strlen(p->code)))) {
		snprintf(err, errlen,
			 "the redirect URL carries no code (nor an error)");
		rc = -EINVAL;
	}
out:
	if (rc)
		oauth_pasted_release(p);
	secret_free(query);
	secret_free(trimmed);
	return rc;
}

static int take_string(const cJSON *obj, const char *name, char **out,
		       char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsString(it) || !it->valuestring || !it->valuestring[0] ||
	    strlen(it->valuestring) > OAUTH_MAX_CODE) {
		snprintf(err, errlen, "token answer: %s is %s", name,
			 it ? "not a usable string" : "missing");
		return -EPROTO;
	}
	*out = strdup(it->valuestring);
	return *out ? 0 : -ENOMEM;
}

int oauth_parse_token(const char *body, size_t len, int64_t now_ms,
		      struct store_tokens *t, char *err, size_t errlen)
{
	struct store_tokens nt;
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *obj = root, *it;
	double v;
	int rc = -EPROTO;

	memset(&nt, 0, sizeof(nt));
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "token answer is not a JSON object");
		goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "token");
	if (cJSON_IsObject(it) &&
	    !cJSON_GetObjectItemCaseSensitive(root, "access_token"))
		obj = it;
	rc = take_string(obj, "access_token", &nt.access_token, err, errlen);
	if (!rc)
		rc = take_string(obj, "refresh_token", &nt.refresh_token, err,
				 errlen);
	if (rc)
		goto out;
	rc = -EPROTO;
	it = cJSON_GetObjectItemCaseSensitive(obj, "token_type");
	if (it && (!cJSON_IsString(it) ||
		   strcasecmp(it->valuestring, "bearer") != 0)) {
		snprintf(err, errlen, "token answer: token_type is not bearer");
		goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(obj, "expires_in");
	v = cJSON_IsNumber(it) ? it->valuedouble : -1;
	if (v <= 0 || v > 1e10 || floor(v) != v) {
		snprintf(err, errlen, "token answer: expires_in is %s",
			 it ? "not a positive whole number of seconds"
			    : "missing");
		goto out;
	}
	nt.expires_at_ms = now_ms + (int64_t)v * 1000;
	*t = nt;
	memset(&nt, 0, sizeof(nt));
	rc = 0;
out:
	store_tokens_release(&nt);
	if (root) {
		/* The tree holds both tokens: wipe the strings. */
		char *p = cJSON_PrintUnformatted(root);

		if (p)
			OPENSSL_cleanse(p, strlen(p));
		free(p);
		it = cJSON_GetObjectItemCaseSensitive(obj, "access_token");
		if (cJSON_IsString(it) && it->valuestring)
			OPENSSL_cleanse(it->valuestring,
					strlen(it->valuestring));
		it = cJSON_GetObjectItemCaseSensitive(obj, "refresh_token");
		if (cJSON_IsString(it) && it->valuestring)
			OPENSSL_cleanse(it->valuestring,
					strlen(it->valuestring));
		cJSON_Delete(root);
	}
	return rc;
}

static void describe_failure(int rc, const struct http_result *res,
			     const char *what, char *err, size_t errlen)
{
	if (res->status == 0) {
		snprintf(err, errlen, "%s: cannot reach the token endpoint: %s",
			 what, res->message[0] ? res->message : strerror(-rc));
		return;
	}
	snprintf(err, errlen, "%s %s: HTTP %ld, errorCode %d%s%s%s%s%s: %s",
		 what,
		 res->status >= 500 || res->status == 429
		     ? "failed at the token endpoint"
		     : "refused",
		 res->status, res->error_code, res->oauth_error[0] ? " (" : "",
		 res->oauth_error, res->oauth_error[0] ? ")" : "",
		 res->ref_id[0] ? ", refId " : "", res->ref_id,
		 res->message[0] ? res->message : "no reason given");
}

/* One POST /token with "grant_type=..&client_id=..&<name>=<value>&hash=..". */
static int token_request(struct http *h, const char *api_base,
			 const char *client_id, const char *client_secret,
			 const char *grant, const char *name, const char *value,
			 int64_t now_ms, struct store_tokens *t,
			 struct http_result *res, char *err, size_t errlen)
{
	struct http_request req = {.method = HTTP_POST, .no_retry = true};
	char digest[OAUTH_HASH_LEN + 1];
	char *url = NULL, *id = NULL, *val = NULL, *body = NULL, *answer = NULL;
	const char *what = strcmp(grant, "refresh_token") == 0
			       ? "token refresh"
			       : "code exchange";
	size_t len = 0;
	int rc = -ENOMEM;

	memset(res, 0, sizeof(*res));
	oauth_hash(client_secret, value, digest);
	id = http_escape(client_id);
	val = http_escape(value);
	if (!id || !val || !digest[0] ||
	    asprintf(&url, "%s/token", api_base) < 0 ||
	    asprintf(&body, "grant_type=%s&client_id=%s&%s=%s&hash=%s", grant,
		     id, name, val, digest) < 0) {
		url = NULL;
		body = NULL;
		snprintf(err, errlen, "%s: out of memory", what);
		goto out;
	}
	req.url = url;
	req.form_body = body;
	rc = http_fetch(h, &req, &answer, &len, res);
	if (rc) {
		describe_failure(rc, res, what, err, errlen);
		goto out;
	}
	rc = oauth_parse_token(answer, len, now_ms, t, err, errlen);
out:
	OPENSSL_cleanse(digest, sizeof(digest));
	secret_free(answer);
	secret_free(body);
	secret_free(val);
	free(id);
	free(url);
	return rc;
}

int oauth_exchange_code(struct http *h, const char *api_base,
			const char *client_id, const char *client_secret,
			const char *code, int64_t now_ms,
			struct store_tokens *t, struct http_result *res,
			char *err, size_t errlen)
{
	return token_request(h, api_base, client_id, client_secret,
			     "authorization_code", "code", code, now_ms, t, res,
			     err, errlen);
}

int oauth_refresh_token(struct http *h, const char *api_base,
			const char *client_id, const char *client_secret,
			const char *refresh_token, int64_t now_ms,
			struct store_tokens *t, struct http_result *res,
			char *err, size_t errlen)
{
	return token_request(h, api_base, client_id, client_secret,
			     "refresh_token", "refresh_token", refresh_token,
			     now_ms, t, res, err, errlen);
}

bool oauth_grant_refused(int rc, const struct http_result *res)
{
	if (rc == 0 || res->status < 400 || res->status >= 500)
		return false;
	if (res->status == 429)
		return false;
	/* Any other 4xx from /token: the grant, client or hash is wrong and
	 * asking again with the same values will not help. */
	return true;
}
