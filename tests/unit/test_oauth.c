/* The wire level of OAuth: hash, authorization URL, pasted codes and
 * redirect URLs, token answers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/oauth.h"
#include "auth/store.h"
#include "testlib.h"

static void test_hash_is_lowercase_hex_sha256_of_secret_pipe_value(void)
{
	char h[OAUTH_HASH_LEN + 1];

	/* Computed independently: hashlib.sha256(b"secret|code").hexdigest() */
	oauth_hash("test-client-secret-0123456789", "sample6p9qisx6a", h);
	CHECK_STR(h, "847b17495a08b648232e1e5f41914a189b495e9990074d89627e74dc"
		     "2a68d5ec");
	oauth_hash("s\xc3\xa9"
		   "cret",
		   "\xc3\xa7", h); /* UTF-8 bytes as is */
	CHECK_STR(h, "76eabefcbceb6caf8dd1304b6d03db6f145d2339275dec47e06816b5"
		     "93263ed4");
}

static void test_state_is_fresh_hex(void)
{
	char a[OAUTH_STATE_LEN + 1], b[OAUTH_STATE_LEN + 1];
	size_t i;

	CHECK_INT(oauth_new_state(a), 0);
	CHECK_INT(oauth_new_state(b), 0);
	CHECK_INT(strlen(a), 32);
	CHECK(strcmp(a, b) != 0);
	for (i = 0; i < 32; i++)
		CHECK(strchr("0123456789abcdef", a[i]) != NULL);
}

static void test_authorize_url(void)
{
	char *url = NULL;

	CHECK_INT(oauth_authorize_url("https://app.smartsheet.com/b/authorize",
				      "dheu3dmkd32fhxme",
				      "READ_SHEETS WRITE_SHEETS", "MY_STATE",
				      &url),
		  0);
	CHECK_STR(url, "https://app.smartsheet.com/b/authorize?response_type="
		       "code&client_id=dheu3dmkd32fhxme&scope=READ_SHEETS%20"
		       "WRITE_SHEETS&state=MY_STATE");
	free(url);
	CHECK_INT(oauth_authorize_url("http://h/a?x=1", "id&", "S", "t", &url),
		  0);
	CHECK_STR(url, "http://h/a?x=1&response_type=code&client_id=id%26"
		       "&scope=S&state=t");
	free(url);
}

static void test_pasted_bare_code(void)
{
	struct oauth_pasted p;
	char err[256];

	CHECK_INT(
	    oauth_parse_pasted("  sample6p9qisx6a\n", &p, err, sizeof(err)), 0);
	CHECK_STR(p.code, "sample6p9qisx6a");
	CHECK(!p.is_url && !p.state && !p.error);
	oauth_pasted_release(&p);
	CHECK_INT(oauth_parse_pasted("\n  \n", &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "no code") != NULL);
	CHECK_INT(oauth_parse_pasted("two words", &p, err, sizeof(err)),
		  -EINVAL);
}

static void test_pasted_redirect_url(void)
{
	struct oauth_pasted p;
	char err[256];

	CHECK_INT(oauth_parse_pasted("http://localhost:3000/callback?code="
				     "sample6p9qisx6a&expires_in=599080&state="
				     "MY%5FSTATE\n",
				     &p, err, sizeof(err)),
		  0);
	CHECK_STR(p.code, "sample6p9qisx6a");
	CHECK_STR(p.state, "MY_STATE");
	CHECK(p.is_url && !p.error);
	oauth_pasted_release(&p);

	CHECK_INT(oauth_parse_pasted("https://x/cb?error=access_denied&state=s",
				     &p, err, sizeof(err)),
		  0);
	CHECK_STR(p.error, "access_denied");
	CHECK_STR(p.state, "s");
	CHECK(p.code == NULL);
	oauth_pasted_release(&p);

	/* Just the query string. */
	CHECK_INT(oauth_parse_pasted("?code=abc&state=s", &p, err, sizeof(err)),
		  0);
	CHECK_STR(p.code, "abc");
	oauth_pasted_release(&p);

	CHECK_INT(oauth_parse_pasted("http://localhost/cb?state=s", &p, err,
				     sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "no code") != NULL);
	CHECK_INT(
	    oauth_parse_pasted("http://localhost/cb", &p, err, sizeof(err)),
	    -EINVAL);
}

static void test_token_answer_strict(void)
{
	struct store_tokens t;
	char err[256];
	static const char ok[] =
	    "{\"access_token\":\"ll352u9jujauoqz4gstvsae05\","
	    "\"token_type\":\"bearer\",\"refresh_token\":"
	    "\"e9x352a9mp4151le2505\",\"expires_in\":604799}";
	static const char wrapped[] = "{\"token\":{\"access_token\":\"a\","
				      "\"refresh_token\":\"r\",\"expires_in\":"
				      "60}}";
	static const char *bad[] = {
	    "",
	    "[]",
	    "not json",
	    "{\"access_token\":\"a\",\"expires_in\":60}",
	    "{\"access_token\":\"\",\"refresh_token\":\"r\",\"expires_in\":60}",
	    "{\"access_token\":1,\"refresh_token\":\"r\",\"expires_in\":60}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\"}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":"
	    "\"60\"}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":0}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":"
	    "1.5}",
	    "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":"
	    "60,\"token_type\":\"mac\"}",
	};
	size_t i;

	memset(&t, 0, sizeof(t));
	CHECK_INT(oauth_parse_token(ok, strlen(ok), 1000, &t, err, sizeof(err)),
		  0);
	CHECK_STR(t.access_token, "ll352u9jujauoqz4gstvsae05");
	CHECK_STR(t.refresh_token, "e9x352a9mp4151le2505");
	CHECK_INT(t.expires_at_ms, 1000 + 604799LL * 1000);
	store_tokens_release(&t);
	CHECK_INT(oauth_parse_token(wrapped, strlen(wrapped), 0, &t, err,
				    sizeof(err)),
		  0);
	CHECK_STR(t.access_token, "a");
	store_tokens_release(&t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(oauth_parse_token(bad[i], strlen(bad[i]), 0, &t, err,
					    sizeof(err)),
			  -EPROTO);
		CHECK(err[0] != '\0');
		CHECK(t.access_token == NULL);
	}
}

int main(void)
{
	T(test_hash_is_lowercase_hex_sha256_of_secret_pipe_value);
	T(test_state_is_fresh_hex);
	T(test_authorize_url);
	T(test_pasted_bare_code);
	T(test_pasted_redirect_url);
	T(test_token_answer_strict);
	return t_run();
}
