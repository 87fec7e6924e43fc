/*
 * What comes back from /token and what a user pastes into .auth/verifier.
 * Properties: a parsed token answer has both tokens and a positive expiry;
 * a parsed paste has a code or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/oauth.h"
#include "auth/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_tokens t = {0};
	struct oauth_pasted p;
	char err[256];
	char *text;

	if (oauth_parse_token((const char *)data, size, 1000, &t, err,
			      sizeof(err)) == 0) {
		if (!t.access_token || !t.refresh_token || !t.access_token[0] ||
		    t.expires_at_ms <= 1000)
			abort();
		store_tokens_release(&t);
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (oauth_parse_pasted(text, &p, err, sizeof(err)) == 0) {
		if (!p.code && !p.error)
			abort();
		oauth_pasted_release(&p);
	}
	free(text);
	return 0;
}
