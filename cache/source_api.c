/*
 * The cache's source in the daemon: the Smartsheet API (api/) for what it
 * holds and for the request window the prefetcher keeps its pace in, the
 * system clocks. Stateless glue; any thread.
 */
#include "cache/source.h"

#include <errno.h>

#include "api/api.h"
#include "api/rows.h"
#include "util/clock.h"

static int list_dir(void *ctx, enum cache_dir dir, int64_t dir_id,
		    enum api_prio prio, struct model_sheet_list *out,
		    struct api_result *res)
{
	const struct cache_api_source *s = ctx;

	switch (dir) {
	case CACHE_DIR_SHEETS:
		return api_list_sheets(s->api, prio, out, res);
	case CACHE_DIR_REPORTS:
		return api_list_reports(s->api, prio, out, res);
	case CACHE_DIR_WORKSPACES:
		return api_list_workspaces(s->api, prio, out, res);
	case CACHE_DIR_WORKSPACE:
		return api_list_children(s->api, true, dir_id, prio, out, res);
	case CACHE_DIR_FOLDER:
		return api_list_children(s->api, false, dir_id, prio, out, res);
	}
	return -EINVAL;
}

static int get_sheet(void *ctx, int64_t id, enum api_prio prio,
		     struct model_sheet **out, struct api_result *res)
{
	const struct cache_api_source *s = ctx;

	return api_get_sheet(s->api, id, prio, out, res);
}

static int get_report(void *ctx, int64_t id, enum api_prio prio,
		      struct model_sheet **out, struct api_result *res)
{
	const struct cache_api_source *s = ctx;

	return api_get_report(s->api, id, prio, out, res);
}

static int get_version(void *ctx, int64_t id, enum api_prio prio,
		       int64_t *version, struct api_result *res)
{
	const struct cache_api_source *s = ctx;

	return api_get_sheet_version(s->api, id, prio, version, res);
}

static int get_user(void *ctx, struct model_user *out,
		    struct api_result *res)
{
	const struct cache_api_source *s = ctx;

	return api_get_user(s->api, out, res);
}

static int wait_room(void *ctx, enum api_prio prio)
{
	const struct cache_api_source *s = ctx;

	return api_wait_room(s->api, prio);
}

static void set_background_rate(void *ctx, int per_min)
{
	const struct cache_api_source *s = ctx;

	api_set_background_rate(s->api, per_min);
}

static void cancel_speculative(void *ctx, bool on)
{
	const struct cache_api_source *s = ctx;

	api_cancel_speculative(s->api, on);
}

static int window_count(void *ctx)
{
	const struct cache_api_source *s = ctx;

	return api_window_count(s->api);
}

static double mono_s(void *ctx)
{
	(void)ctx;
	return clock_mono_s();
}

static double wall_s(void *ctx)
{
	(void)ctx;
	return clock_wall_s();
}

static int write_rows(void *ctx, int64_t id, enum api_rows_op op,
		      const char *body, size_t len,
		      struct api_rows_answer *ans, struct api_result *res)
{
	const struct cache_api_source *s = ctx;

	return api_rows_write(s->api, id, op, body, len, ans, res);
}

static bool may_write(void *ctx, char *why, size_t len)
{
	const struct cache_api_source *s = ctx;

	return api_may_write(s->api, why, len);
}

static const struct cache_source_ops api_ops = {
    .list_dir = list_dir,
    .get_sheet = get_sheet,
    .get_report = get_report,
    .get_version = get_version,
    .get_user = get_user,
    .wait_room = wait_room,
    .set_background_rate = set_background_rate,
    .cancel_speculative = cancel_speculative,
    .window_count = window_count,
    .mono_s = mono_s,
    .wall_s = wall_s,
    .write_rows = write_rows,
    .may_write = may_write,
};

void cache_api_source_init(struct cache_api_source *s, struct api *api)
{
	s->source.ops = &api_ops;
	s->source.ctx = s;
	s->api = api;
}
