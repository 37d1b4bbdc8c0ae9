// SPDX-License-Identifier: GPL-2.0-or-later
/* Test driver of src/inject: borrows a thread of a running process, maps
 * tests/targets/payload.so into it, calls payload functions and checks what
 * they wrote, then puts the thread back. Prints what it did and how long the
 * thread was stopped. MEMSPY_TEST_DIE_AT=<step> (src/inject/die_at.h) makes it
 * die at that step. Exit: 0 done, 2 injection refused (reason printed), 1 any
 * other failure.
 * Usage: inject_probe [-t THREAD] [-w WAIT_MS] [-H HOLD_MS] [-s SIG] [-S] [-r]
 *        PID PAYLOAD.so
 *   -t  borrow only the thread of that name     -H  keep it borrowed that long
 *   -s  send SIG to the borrowed thread while   -S  also call a function that
 *       it is borrowed (held back, sent after)      never returns (timeout path)
 *   -r  reuse a payload mapped by an earlier run (inject_find_image) */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/clock.h"
#include "inject/image.h"
#include "inject/inject.h"

#define STORE_XOR 0x5a5a5a5a5a5a5a5aull

struct probe_opts {
	struct inject_opts inj;
	int hold_ms, sig, spin, reuse;
	pid_t pid;
	const char *payload;
};

static int usage(void)
{
	fprintf(stderr, "usage: inject_probe [-t THREAD] [-w WAIT_MS] [-H HOLD_MS] [-s SIG] [-S] "
			"[-r] PID PAYLOAD.so\n");
	return 1;
}

static int read_word(pid_t pid, uint64_t addr, uint64_t *v)
{
	struct iovec local = {v, sizeof(*v)}, remote = {(void *)addr, sizeof(*v)};

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == sizeof(*v) ? 0 : -errno;
}

/* Call fn(arg) and check that the word at addr became want. */
static int call_check(struct inject *in, const struct inject_image *img, const char *fn,
		      uint64_t arg, const char *word, uint64_t want)
{
	uint64_t f = inject_image_symbol(img, fn), w = inject_image_symbol(img, word), got = 0;
	int err;

	if (!f || !w) {
		fprintf(stderr, "inject_probe: payload has no %s or %s\n", fn, word);
		return -ENOENT;
	}
	err = inject_call(in, f, arg, 0);
	if (!err)
		err = read_word(inject_pid(in), w, &got);
	if (!err && got != want) {
		fprintf(stderr, "inject_probe: %s wrote %#" PRIx64 ", want %#" PRIx64 "\n", fn, got,
			want);
		err = -EBADMSG;
	}
	if (err)
		fprintf(stderr, "inject_probe: calling %s: %s\n", fn, strerror(-err));
	return err;
}

static int work(struct inject *in, const struct probe_opts *o, struct inject_image *img)
{
	uint64_t arg = 0x1234567890ull + (uint64_t)getpid();
	int err = 0;

	if (o->reuse && !inject_find_image(o->pid, o->payload, img))
		printf("reused base %#" PRIx64 "\n", img->base);
	else if ((err = inject_map_image(in, o->payload, img)))
		return err;
	else
		printf("mapped base %#" PRIx64 " span %#" PRIx64 " rw %#" PRIx64 "\n", img->base,
		       img->span, img->rw);
	if ((err = call_check(in, img, "payload_store", arg, "payload_word", arg ^ STORE_XOR)) ||
	    (err = call_check(in, img, "payload_getpid", 1000, "payload_pid",
			      (uint64_t)o->pid + 1000)))
		return err;
	if (o->sig)
		syscall(SYS_tgkill, o->pid, inject_tid(in), o->sig);
	if (o->hold_ms)
		usleep((useconds_t)o->hold_ms * 1000);
	if (o->spin) {
		err = inject_call(in, inject_image_symbol(img, "payload_spin"), 0, 300);
		if (err != -ETIMEDOUT) {
			fprintf(stderr, "inject_probe: a call that never returns gave %s\n",
				strerror(-err));
			return -EPROTO;
		}
		printf("spin abandoned\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe_opts o = {0};
	struct inject_image img = {0};
	struct inject_report rep;
	struct inject *in;
	char why[256];
	uint64_t t0;
	int c, err, end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "t:w:H:s:Sr")) != -1) {
		switch (c) {
		case 't':
			o.inj.thread = optarg;
			break;
		case 'w':
			o.inj.wait_ms = atoi(optarg);
			break;
		case 'H':
			o.hold_ms = atoi(optarg);
			break;
		case 's':
			o.sig = atoi(optarg);
			break;
		case 'S':
			o.spin = 1;
			break;
		case 'r':
			o.reuse = 1;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	o.pid = atoi(argv[optind]);
	o.payload = argv[optind + 1];
	t0 = clock_now_ns();
	in = inject_begin(o.pid, &o.inj, why, sizeof(why));
	if (!in) {
		printf("refused: %s\n", why);
		return 2;
	}
	err = work(in, &o, &img);
	end = inject_end(in, &rep);
	printf("thread %d state %s restart %s stopped_us %" PRIu64
	       " resignaled %d total_us %" PRIu64 "\n",
	       rep.tid, rep.state, rep.restart, rep.stopped_ns / 1000, rep.resignaled,
	       (clock_now_ns() - t0) / 1000);
	inject_image_release(&img);
	if (end && !(o.spin && end == 0))
		fprintf(stderr, "inject_probe: putting thread %d back: %s\n", rep.tid,
			strerror(-end));
	if (!err && !end)
		printf("ok\n");
	return err || end ? 1 : 0;
}
