/*
 * The payload parser behind the AES-GCM tag, which fuzz_store cannot reach
 * (it would have to forge the tag): each input is sealed as the plaintext of
 * a settings file under a known client secret by store_seal() (the format
 * store_save() writes: salt, nonce, ciphertext and tag), written to a file
 * and read back by store_load(), the real path. Properties: no crash; the
 * tag always verifies, so a refusal is -EBADMSG saying that the decrypted
 * content is not valid settings (or -ENOMEM); and tokens that load save and
 * load again unchanged.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/store.h"
#include "util/sbuf.h"

#define SECRET "fuzz-client-secret-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* t saved and loaded again, through memory:// (the same encoding). */
static void round_trip(const struct store_tokens *t)
{
	struct store *m = store_open(STORE_MEMORY, SECRET);
	struct store_tokens back = {0};
	char err[512] = "";
	int rc;

	if (!m)
		return;
	rc = store_save(m, t, err, sizeof(err));
	/* -EFBIG: cJSON escapes what the input had raw (a control
	 * character becomes \u00XX), so the JSON may grow past the limit. */
	if (rc && rc != -EFBIG && rc != -ENOMEM) {
		fprintf(stderr, "save after load: %d %s\n", rc, err);
		abort();
	}
	if (!rc) {
		rc = store_load(m, &back, err, sizeof(err));
		if (rc == 0 && (!same(t->access_token, back.access_token) ||
				!same(t->refresh_token, back.refresh_token) ||
				!same(t->scope, back.scope) ||
				!same(t->api_base, back.api_base) ||
				t->expires_at_ms != back.expires_at_ms)) {
			fprintf(stderr, "tokens changed on the round trip\n");
			abort();
		}
		if (rc && rc != -ENOMEM) {
			fprintf(stderr, "load after save: %d %s\n", rc, err);
			abort();
		}
		store_tokens_release(&back);
	}
	store_close(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf text = SBUF_INIT(STORE_MAX_FILE_BYTES);
	struct store_tokens t = {0};
	char err[512] = "";
	struct store *s;
	FILE *f;
	int rc;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/ssfs-fuzz-payload-%d.txt",
			 (int)getpid());
	s = store_open(path, SECRET);
	if (!s)
		return 0;
	rc = store_seal(s, data, size, &text);
	if (rc == -EFBIG || rc == -ENOMEM)
		goto out; /* too large to be a settings file */
	if (rc)
		abort();
	f = fopen(path, "wb");
	if (!f)
		goto out;
	fwrite(text.buf, 1, text.len, f);
	fclose(f);
	rc = store_load(s, &t, err, sizeof(err));
	unlink(path);
	if (rc == 0) {
		round_trip(&t);
		store_tokens_release(&t);
	} else if (rc != -ENOMEM &&
		   (rc != -EBADMSG ||
		    /* No payload: the data line is a bare tag, "damaged". */
		    (size && !strstr(err, "not valid settings")))) {
		fprintf(stderr, "load: %d %s\n", rc, err);
		abort();
	}
out:
	sbuf_release(&text);
	store_close(s);
	return 0;
}
