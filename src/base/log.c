/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages of the library, delivered to the sink the CLI chose. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"

static void stderr_sink(enum ms_log_level level, const char *msg, void *ctx)
{
	fprintf(stderr, "memspy: %s\n", msg);
}

static ms_log_sink log_sink = stderr_sink;
static void *log_ctx;

void ms_log_set_sink(ms_log_sink sink, void *ctx)
{
	log_sink = sink ? sink : stderr_sink;
	log_ctx = sink ? ctx : NULL;
}

void ms_log(enum ms_log_level level, const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* %m still sees the caller's errno */
	va_end(ap);
	log_sink(level, msg, log_ctx);
	errno = saved;
}
