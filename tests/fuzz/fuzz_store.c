/*
 * The settings-file decoder: any bytes on disk are either a settings file
 * that decrypts with the secret, or -EBADMSG; never a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_tokens t = {0};
	struct store *s;
	char err[512];
	FILE *f;
	int rc;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/ssfs-fuzz-store-%d.txt",
			 (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	s = store_open(path, "test-client-secret-0123456789");
	if (!s)
		return 0;
	rc = store_load(s, &t, err, sizeof(err));
	if (rc == 0)
		store_tokens_release(&t);
	else if (rc != -EBADMSG && rc != -ENOENT && rc != -ENOMEM)
		abort();
	store_close(s);
	return 0;
}
