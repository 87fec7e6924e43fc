/*
 * `smartsheetfs config import`: the subcommand around config/import.c,
 * which writes the INI file 0600 (O_EXCL, or temp file + rename with
 * --force). Runs on the main thread, before any mount.
 */
#include "cmd/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "config/import.h"
#include "util/file.h"
#include "util/io.h"
#include "util/sbuf.h"
#include "util/secret.h"

/* Create path 0600, refusing to replace a file unless force (then through
 * a temporary file beside it, renamed over it). */
static int save(const char *path, const struct sbuf *ini, bool force)
{
	char *dir = file_dirname(path);
	int fd = -1, rc;

	if (!dir)
		return -ENOMEM;
	rc = file_mkdirs(dir, NULL, 0);
	if (rc)
		goto out;
	if (force) {
		rc = file_write_atomic(path, ini->buf, ini->len, 0600, NULL, 0);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = fchmod(fd, 0600) ? -errno : io_write_all(fd, ini->buf, ini->len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
out:
	free(dir);
	return rc;
}

static int import_usage(void)
{
	fprintf(stderr,
		"usage: smartsheetfs config import [--output FILE] [--force] "
		"STRING|-\n"
		"  STRING   a connection string: Name=Value;Name=Value;... "
		"(values may be\n"
		"           quoted with ' or \"); '-' reads it from standard "
		"input,\n"
		"           out of sight of ps(1)\n"
		"  --output FILE  where to write (default "
		"$XDG_CONFIG_HOME/smartsheetfs/config.ini)\n"
		"  --force        replace FILE if it exists\n");
	return EXIT_USAGE;
}

static char *read_stdin_all(void)
{
	char *buf = malloc(CFG_IMPORT_MAX_BYTES + 1);
	size_t n = 0, r;

	if (!buf)
		return NULL;
	while (n < CFG_IMPORT_MAX_BYTES) {
		r = fread(buf + n, 1, CFG_IMPORT_MAX_BYTES - n, stdin);
		if (!r)
			break;
		n += r;
	}
	buf[n] = '\0';
	/* A trailing newline (echo, a file) is not part of the string. */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

int config_command(int argc, char **argv)
{
	struct sbuf ini = SBUF_INIT(CFG_IMPORT_INI_MAX_BYTES);
	const char *output = NULL;
	char *conn = NULL, *path = NULL;
	char err[CFG_ERRBUF_SIZE] = "";
	bool force = false, from_argv = false, secret = false;
	int i, rc;

	if (argc < 1 || strcmp(argv[0], "import") != 0)
		return import_usage();
	for (i = 1; i < argc; i++) {
		const char *v = argv[i];

		if (strcmp(v, "--output") == 0 && i + 1 < argc) {
			output = argv[++i];
		} else if (strncmp(v, "--output=", 9) == 0 && v[9]) {
			output = v + 9;
		} else if (strcmp(v, "--force") == 0) {
			force = true;
		} else if (strcmp(v, "-h") == 0 || strcmp(v, "--help") == 0) {
			import_usage();
			rc = EXIT_OK;
			goto out;
		} else if (!conn && (v[0] != '-' || strcmp(v, "-") == 0)) {
			from_argv = strcmp(v, "-") != 0;
			conn = from_argv ? strdup(v) : read_stdin_all();
			if (!conn) {
				rc = EXIT_CONFIG;
				goto out;
			}
			/* Other users may read argv in ps: keep our copy. */
			if (from_argv)
				OPENSSL_cleanse(argv[i], strlen(argv[i]));
		} else {
			fprintf(stderr,
				"smartsheetfs: config import: unexpected "
				"'%s'\n",
				v[0] == '-' ? v : "(an argument)");
			rc = import_usage();
			goto out;
		}
	}
	if (!conn) {
		rc = import_usage();
		goto out;
	}
	path = output ? strdup(output) : cfg_default_path();
	if (!path) {
		fprintf(stderr, "smartsheetfs: config import: no --output and "
				"no HOME to find the default file\n");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cfg_import_string(conn, path, &ini, &secret, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "smartsheetfs: config import: %s\n", err);
		rc = EXIT_CONFIG;
		goto out;
	}
	rc = save(path, &ini, force);
	if (rc == -EEXIST) {
		fprintf(stderr,
			"smartsheetfs: config import: %s exists; --force "
			"replaces it\n",
			path);
		rc = EXIT_USAGE;
		goto out;
	}
	if (rc) {
		fprintf(stderr, "smartsheetfs: config import: %s: %s\n", path,
			strerror(-rc));
		rc = EXIT_CONFIG;
		goto out;
	}
	printf("wrote %s\n", path);
	rc = EXIT_OK;
out:
	if (from_argv && secret)
		fprintf(stderr,
			"smartsheetfs: warning: the connection string holds "
			"secrets and was visible to other users in ps(1); "
			"`config import -` reads it from standard input\n");
	if (ini.alloc)
		OPENSSL_cleanse(ini.buf, ini.alloc);
	sbuf_release(&ini);
	secret_free(conn);
	free(path);
	return rc;
}
