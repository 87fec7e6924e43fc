#ifndef SSFS_CONFIG_IMPORT_H
#define SSFS_CONFIG_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The reference driver's connection strings as INI text (config import).
 */

struct sbuf;

/* Longer than any real connection string; the INI is about as long. */
#define CFG_IMPORT_MAX_BYTES 16384
/* The INI text: the values, the names, absolute paths; never grown past. */
#define CFG_IMPORT_INI_MAX_BYTES (3 * CFG_IMPORT_MAX_BYTES + 8192)

/*
 * Convert a connection string ("Name=Value;Name='a;b'") into INI text
 * appended to ini, and check it by loading it as the file path would be.
 * *secret: the string set a secret property. 0, or -EINVAL/-ENOMEM with a
 * message in err that never holds a value.
 */
int cfg_import_string(const char *conn, const char *path, struct sbuf *ini,
		      bool *secret, char *err, size_t errlen);

#endif /* SSFS_CONFIG_IMPORT_H */
