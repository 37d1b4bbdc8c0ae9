/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one way library code tells the user something: a message goes to the sink
 * the command line installed, so no module below the CLI writes to stderr itself. */
#ifndef MEMSPY_LOG_H
#define MEMSPY_LOG_H

enum ms_log_level {
	MS_LOG_ERROR, /* the operation failed; the message says what to do */
	MS_LOG_WARN,  /* the run goes on with less (no Python frames, no rss.folded) */
	MS_LOG_INFO,  /* progress the user asked to see (attached, verbose details) */
};

/* Receives one message, without the "memspy: " prefix or a newline. */
typedef void (*ms_log_sink)(enum ms_log_level level, const char *msg, void *ctx);

/* Route every later message to sink (NULL: back to the default, which writes
 * "memspy: <msg>\n" to stderr). Not thread-safe: call before a run starts. */
void ms_log_set_sink(ms_log_sink sink, void *ctx);
/* Format and deliver one message; errno is left as it was. */
void ms_log(enum ms_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ms_err(...) ms_log(MS_LOG_ERROR, __VA_ARGS__)
#define ms_warn(...) ms_log(MS_LOG_WARN, __VA_ARGS__)
#define ms_info(...) ms_log(MS_LOG_INFO, __VA_ARGS__)

#endif
