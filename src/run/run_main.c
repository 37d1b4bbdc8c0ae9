/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A recording run from start to end, as `memspy attach` runs it: attach, start the
 * load command if there is one, record until Ctrl-C, SIGTERM, -d, the target's
 * exit or the load command's, end the load command, write the outputs. */
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>

#include "base/clock.h"
#include "base/log.h"
#include "run/load_cmd.h"
#include "run/run.h"
#include "run/run_state.h"

/* A load command that outlives the run is asked to stop, and given this long
 * before each harder signal. */
#define MS_LOAD_GRACE_MS 3000

static const char *signal_reason(int sig)
{
	switch (sig) {
	case SIGINT:
		return "interrupted (SIGINT)";
	case SIGTERM:
		return "terminated (SIGTERM)";
	default:
		return "hangup (SIGHUP)";
	}
}

/* Why the run ends now, or NULL to go on. */
static const char *poll_once(struct run *r, uint64_t deadline)
{
	int e = run__poll(r, 100);

	load_cmd__pump(r->load);
	if (!e)
		run__snapshot_poll(r); /* a failed snapshot is reported; the run goes on */
	if (e == RUN_SIGNALLED)
		return signal_reason(run__signal());
	if (e == RUN_TARGET_EXITED) {
		ms_info("pid %d exited; writing the report", (int)r->opts.pid);
		return "target exited";
	}
	if (e < 0)
		return "ring buffer error";
	if (r->load && load_cmd__exited(r->load)) {
		ms_info("the load command ended; writing the report");
		return "load command exited";
	}
	if (deadline && clock_now_ns() >= deadline)
		return "duration reached";
	return NULL;
}

/* Stop recording, then end the load command: Ctrl-C is passed on to it, any other
 * end asks it to terminate. */
static void stop(struct run *r)
{
	run__stop(r);
	if (r->load)
		load_cmd__end(r->load, run__signal() == SIGINT ? SIGINT : SIGTERM,
			      MS_LOAD_GRACE_MS);
}

/* The run as attach starts it: probes attached, until an end comes. */
static int run_live(const struct run_opts *o)
{
	struct run *r = run__open(o);
	const char *end_reason = NULL;
	uint64_t deadline;
	int status;

	if (!r)
		return 1;
	if (o->cmd) {
		r->load = load_cmd__start(o->cmd, r->yield != NULL);
		if (!r->load) {
			run__free(r);
			return 1;
		}
	}
	deadline = o->duration_s > 0 ? run__start_ns(r) + (uint64_t)(o->duration_s * 1e9) : 0;
	while (!end_reason)
		end_reason = poll_once(r, deadline);
	stop(r);
	status = run__write_outputs(r, end_reason) ? 1 : 0;
	/* A load command that failed on its own says more than memspy's success. */
	if (load_cmd__exit_code(r->load))
		status = load_cmd__exit_code(r->load);
	run__free(r);
	return status;
}

/* MEMSPY_FAST_FORWARD=SECONDS is a test mode (fast_forward.c), never set by a
 * user by accident: it attaches nothing. */
int run_main(const struct run_opts *o)
{
	const char *ff = getenv("MEMSPY_FAST_FORWARD");

	if (ff && *ff)
		return run_fast_forward(o, ff);
	return run_live(o);
}
