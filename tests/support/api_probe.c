/*
 * api_probe: the API layer (api/, over the real http/ and auth/) and the
 * renderers against a server, with no FUSE, for tests/support/
 * test_report_render.py and for measuring a report's parse. Built by that
 * test from build/libsmartsheetfs.a (not by the Makefile).
 *
 *   api_probe BASE TOKEN workspaces | reports | sheets
 *   api_probe BASE TOKEN children workspace|folder ID   (one level)
 *   api_probe BASE TOKEN tree        workspaces, and every folder walked
 *   api_probe BASE TOKEN report ID FMT [OUT]   FMT: csv, csv-display,
 *                                    csv-crlf, json, ndjson
 *   api_probe BASE TOKEN sheet ID FMT [OUT]
 *   api_probe BASE TOKEN measure report|sheet ID
 *
 * Lists print one JSON line per entry: {"kind","id","name","permalink",
 * "accessLevel","parent"} ("tree": parent is "workspace:ID" or
 * "folder:ID"). A file is written to OUT (default stdout). "measure"
 * prints {"seconds","rss_before_kb","hwm_after_kb","rows"} of one
 * api_get_report / api_get_sheet. A failed call prints {"error": errno,
 * "status": HTTP status} and exits 3; usage errors exit 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "api/api.h"
#include "auth/auth.h"
#include "http/http.h"
#include "render/json.h"
#include "render/render.h"
#include "util/sbuf.h"

static const char *const kind_names[] = {"sheet", "report", "folder",
					 "workspace"};

static int failed(int rc, const struct api_result *res)
{
	printf("{\"error\":%d,\"status\":%ld}\n", -rc, res->status);
	return 3;
}

static int print_entry(const struct model_sheet_info *e, const char *parent)
{
	struct sbuf sb = SBUF_INIT(0);
	int rc;

	rc = sbuf_addf(&sb, "{\"kind\":\"%s\",\"id\":%" PRId64 ",\"name\":",
		       kind_names[e->kind], e->id);
	if (!rc)
		rc = render_json_string(&sb, e->name);
	if (!rc)
		rc = sbuf_addstr(&sb, ",\"permalink\":");
	if (!rc)
		rc = e->permalink ? render_json_string(&sb, e->permalink)
				  : sbuf_addstr(&sb, "null");
	if (!rc)
		rc = sbuf_addstr(&sb, ",\"accessLevel\":");
	if (!rc)
		rc = e->access_level ? render_json_string(&sb, e->access_level)
				     : sbuf_addstr(&sb, "null");
	if (!rc)
		rc = sbuf_addf(&sb, ",\"parent\":\"%s\"}\n", parent);
	if (!rc)
		fputs(sb.buf, stdout);
	sbuf_release(&sb);
	return rc;
}

static int print_list(const struct model_sheet_list *l, const char *parent)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < l->count && !rc; i++)
		rc = print_entry(&l->items[i], parent);
	return rc;
}

/* A workspace's or folder's children; deep: and every folder below, depth
 * first. */
static int walk(struct api *a, bool workspace, int64_t id, bool deep)
{
	struct model_sheet_list l = {NULL, 0};
	struct api_result res = {0};
	char parent[64];
	size_t i;
	int rc;

	rc = api_list_children(a, workspace, id, API_PRIO_USER, &l, &res);
	if (rc)
		return failed(rc, &res);
	snprintf(parent, sizeof(parent), "%s:%" PRId64,
		 workspace ? "workspace" : "folder", id);
	rc = print_list(&l, parent);
	for (i = 0; i < l.count && !rc && deep; i++)
		if (l.items[i].kind == MODEL_KIND_FOLDER)
			rc = walk(a, false, l.items[i].id, true);
	model_sheet_list_release(&l);
	return rc;
}

static int list(struct api *a, const char *what)
{
	struct model_sheet_list l = {NULL, 0};
	struct api_result res = {0};
	size_t i;
	int rc;

	if (strcmp(what, "reports") == 0)
		rc = api_list_reports(a, API_PRIO_USER, &l, &res);
	else if (strcmp(what, "sheets") == 0)
		rc = api_list_sheets(a, API_PRIO_USER, &l, &res);
	else
		rc = api_list_workspaces(a, API_PRIO_USER, &l, &res);
	if (rc)
		return failed(rc, &res);
	rc = print_list(&l, "");
	for (i = 0; i < l.count && !rc && strcmp(what, "tree") == 0; i++)
		rc = walk(a, true, l.items[i].id, true);
	model_sheet_list_release(&l);
	return rc;
}

static int get(struct api *a, bool report, int64_t id, struct model_sheet **m)
{
	struct api_result res = {0};
	int rc = report ? api_get_report(a, id, API_PRIO_USER, m, &res)
			: api_get_sheet(a, id, API_PRIO_USER, m, &res);

	return rc ? failed(rc, &res) : 0;
}

static int render(struct api *a, bool report, int64_t id, const char *fmt,
		  const char *path)
{
	struct render_opts o = {false, false, false};
	enum render_fmt f = RENDER_FMT_CSV;
	struct model_sheet *m = NULL;
	struct sbuf sb = SBUF_INIT(0);
	FILE *out = stdout;
	int rc;

	if (strcmp(fmt, "json") == 0)
		f = RENDER_FMT_JSON;
	else if (strcmp(fmt, "ndjson") == 0)
		f = RENDER_FMT_NDJSON;
	else if (strcmp(fmt, "csv-display") == 0)
		o.display = true;
	else if (strcmp(fmt, "csv-crlf") == 0)
		o.crlf = true;
	else if (strcmp(fmt, "csv") != 0)
		return 2;
	rc = get(a, report, id, &m);
	if (rc)
		return rc;
	if (report != m->is_report) {
		model_sheet_free(m);
		return 4;
	}
	rc = render_sheet(m, f, &o, &sb);
	if (!rc && path)
		out = fopen(path, "wb");
	if (!rc && (!out || fwrite(sb.buf, 1, sb.len, out) != sb.len))
		rc = 5;
	if (out && out != stdout && fclose(out))
		rc = 5;
	sbuf_release(&sb);
	model_sheet_free(m);
	return rc ? 5 : 0;
}

/* VmRSS or VmHWM of this process, in kB (-1 when unknown). */
static long status_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int measure(struct api *a, bool report, int64_t id)
{
	struct model_sheet *m = NULL;
	struct timespec t0, t1;
	long before;
	FILE *f;
	int rc;

	/* VmHWM from here on (as bench/bench does for the daemon). */
	f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
	before = status_kb("VmRSS");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = get(a, report, id, &m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc)
		return rc;
	printf("{\"seconds\":%.3f,\"rss_before_kb\":%ld,\"hwm_after_kb\":%ld,"
	       "\"rows\":%zu}\n",
	       (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       before, status_kb("VmHWM"), m->nrows);
	model_sheet_free(m);
	return 0;
}

static int run(struct api *a, int argc, char **argv)
{
	const char *cmd = argv[3];
	int64_t id;

	if (argc == 4)
		return list(a, cmd);
	if (argc < 6)
		return 2;
	id = strtoll(argv[5], NULL, 10);
	if (strcmp(cmd, "children") == 0)
		return walk(a, strcmp(argv[4], "workspace") == 0, id, false);
	if (strcmp(cmd, "measure") == 0)
		return measure(a, strcmp(argv[4], "report") == 0, id);
	id = strtoll(argv[4], NULL, 10);
	if (strcmp(cmd, "report") == 0 || strcmp(cmd, "sheet") == 0)
		return render(a, strcmp(cmd, "report") == 0, id, argv[5],
			      argc > 6 ? argv[6] : NULL);
	return 2;
}

int main(int argc, char **argv)
{
	struct http_opts ho = {
	    .timeout_s = 60, .backoff_scale_set = true, .backoff_scale = 0.01};
	struct http *h = NULL;
	struct auth *au = NULL;
	struct api *a = NULL;
	int rc = 2;

	if (argc < 4)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = http_new(&ho);
	au = h ? auth_new_token(argv[2]) : NULL;
	a = au ? api_new(argv[1], h, au) : NULL;
	if (a)
		rc = run(a, argc, argv);
	fflush(stdout);
	api_free(a);
	auth_free(au);
	http_free(h);
	curl_global_cleanup();
	return rc;
}
