/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The load command of `memspy attach <pid> -- CMD ARGS`: a load generator run once
 * the probes are live, as the user who ran sudo, its output echoed and its last
 * lines kept for the report. Internal to src/run. */
#ifndef MEMSPY_LOAD_CMD_H
#define MEMSPY_LOAD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct load_cmd;

/* Start argv (argv[0] looked up in PATH) in its own process group, stdin from
 * /dev/null, stdout and stderr into a pipe that load_cmd__pump echoes to
 * memspy's stderr. Under sudo (running as root with SUDO_UID and SUDO_GID set) it
 * runs as that user with no supplementary groups; as root otherwise, which is
 * said. from_idle: memspy's threads are at SCHED_IDLE (cpu_yield.h), which the
 * child inherits: it goes back to normal priority. NULL on failure (reported). */
struct load_cmd *load_cmd__start(char *const argv[], bool from_idle);
/* Echo and keep what the command wrote since the last call; never blocks. */
void load_cmd__pump(struct load_cmd *c);
/* Whether it has exited (reaped then; its status is kept). */
bool load_cmd__exited(struct load_cmd *c);
/* End it if it still runs: sig (SIGINT after Ctrl-C, SIGTERM otherwise) to its
 * process group, then SIGTERM after grace_ms, then SIGKILL after as long again,
 * echoing its output meanwhile. */
void load_cmd__end(struct load_cmd *c, int sig, int grace_ms);
/* Its status in words ("exited with status 3", "killed by SIGKILL (sent by
 * memspy)"), into buf. */
void load_cmd__describe(const struct load_cmd *c, char *buf, size_t size);
/* The command line, quoted where needed, and the user it ran as ("alice (uid
 * 1000)"). */
const char *load_cmd__line(const struct load_cmd *c);
const char *load_cmd__user(const struct load_cmd *c);
/* Its last lines of output, at most max_lines, into buf ("" when none). */
void load_cmd__tail(const struct load_cmd *c, size_t max_lines, char *buf, size_t size);
/* What memspy should exit with for it: 0 when it succeeded or memspy ended it,
 * its exit status when it failed, 128 + the signal when a signal memspy did not
 * send killed it. */
int load_cmd__exit_code(const struct load_cmd *c);
/* Ends it (SIGKILL) if still running. Accepts NULL. */
void load_cmd__free(struct load_cmd *c);

#endif
