#ifndef SSFS_API_FEED_H
#define SSFS_API_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "util/compat.h"

/*
 * The sheet parser fed on a thread of its own, so that the parse overlaps
 * the transfer: write hands the body over in pieces (backpressure when the
 * parser falls behind), reset starts over (a report's later page: that
 * page), end_page closes a report's page, finish waits for the parser and
 * builds the model. A body of one piece never starts the thread. The feed
 * borrows the parser; write, reset and finish come from one thread (the
 * transfer's).
 */

struct feed;
struct model_sheet;
struct sheet_parser;

/* NULL when out of memory. */
struct feed *feed_new(struct sheet_parser *p);
/* Stops and joins the parser thread; NULL is fine. */
void feed_free(struct feed *f);
/* 0 or the parser's first error (sticky until reset), or -ENOMEM. */
int feed_write(struct feed *f, const char *data, size_t n) SSFS_WUR;
int feed_reset(struct feed *f) SSFS_WUR;
/* As sheet_parser_finish, once everything written has been parsed. */
int feed_finish(struct feed *f, struct model_sheet **out) SSFS_WUR;
/* A report's page is written whole: as sheet_parser_end_page once it is
 * parsed, then sheet_parser_count's rows and total. */
int feed_end_page(struct feed *f, int64_t *rows, int64_t *total) SSFS_WUR;

#endif /* SSFS_API_FEED_H */
