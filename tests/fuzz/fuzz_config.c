/*
 * The INI loader and the checks after it. Property: a refused file always
 * comes with a message that names the file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CFG_ERRBUF_SIZE];
	struct cfg c;
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cfg_init(&c);
	err[0] = '\0';
	rc = cfg_load_string(&c, text, "fuzz.ini", "/tmp", err, sizeof(err));
	if (!rc) {
		err[0] = '\0';
		rc = cfg_finish(&c, err, sizeof(err));
	}
	if (rc && strncmp(err, "fuzz.ini", 8) != 0 &&
	    strncmp(err, "(no config file)", 16) != 0 && rc != -ENOMEM)
		abort();
	cfg_release(&c);
	free(text);
	return 0;
}
