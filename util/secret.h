#ifndef SSFS_UTIL_SECRET_H
#define SSFS_UTIL_SECRET_H

/*
 * Secrets in memory (STYLE O5): tokens, codes, client secrets, passwords
 * and the text that carries them are wiped before their memory goes back.
 */

/* Wipe the NUL-terminated string s (OPENSSL_cleanse over strlen(s) bytes)
 * and free it. NULL does nothing. */
void secret_free(char *s);

#endif /* SSFS_UTIL_SECRET_H */
