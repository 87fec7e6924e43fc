/*
 * Wipe-and-free for secrets held as C strings (util/secret.h), so that a
 * token does not linger in freed heap memory. OPENSSL_cleanse, because a
 * plain memset before free() may be optimised away. No state: any thread.
 */
#include "util/secret.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void secret_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}
