// SPDX-License-Identifier: GPL-2.0-or-later
/* The chaos suite's target (tests/chaos/run.sh): deterministic work whose output
 * must be the same with and without memspy, however memspy dies.
 *   chaos ROUNDS [fast] [fork] [exec] [signals]
 * Four threads each run ROUNDS rounds: allocate blocks of pseudo-random sizes,
 * fill them, check them, keep some alive for a while, free the rest; between
 * rounds they sleep 1 ms (not with "fast", which the reference run uses: the
 * checksum does not depend on timing). "fork": thread 0 forks a child every 100
 * rounds that does a little allocating work and reports its hash through a pipe;
 * "exec": the child execs this program ("chaos child N") instead. "signals": one
 * more thread gets SIGUSR1 every 2 ms and its handler allocates (it is then
 * only ever asleep, never inside malloc, so this is safe). Prints "ready", then
 * "checksum HEX" and "done"; exits 1 if a block did not hold what was written
 * into it or a child failed. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define BLOCKS 8
#define KEPT 64

static long rounds;
static int fast, forking, execing, signals;
static const char *self;
static uint64_t sums[WORKERS];
static volatile sig_atomic_t handled, stop_signals;
static int bad;

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void sleep_ns(long ns)
{
	struct timespec ts = {0, ns}, rem;

	/* a signal may cut the sleep short: sleep the rest */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem) == EINTR)
		ts = rem;
}

/* One block: filled from its seed, read back, folded into the hash. */
__attribute__((noinline)) static uint64_t use_block(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t h = seed;

	for (size_t i = 0; i < n; i += 61)
		p[i] = (unsigned char)(seed >> (i & 31));
	for (size_t i = 0; i < n; i += 61) {
		if (p[i] != (unsigned char)(seed >> (i & 31)))
			bad = 1;
		h = mix(h, p[i]);
	}
	return h;
}

/* A little allocating work of its own, for forked and exec'd children. */
__attribute__((noinline)) static uint64_t child_work(uint64_t seed)
{
	uint64_t h = seed, s = seed;

	for (int i = 0; i < 200; i++) {
		size_t n = 16 + lcg(&s) % 4096;
		unsigned char *p = malloc(n);

		if (!p)
			return 0;
		h = mix(h, use_block(p, n, lcg(&s)));
		free(p);
	}
	return h;
}

/* A child (forked, or exec'd with "chaos child SEED"): its hash through fd 1. */
static uint64_t run_child(uint64_t seed)
{
	int fds[2];
	pid_t pid;
	uint64_t h = 0;
	int status;

	if (pipe(fds))
		return 0;
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		char arg[32];

		dup2(fds[1], 1);
		close(fds[0]);
		if (execing) {
			snprintf(arg, sizeof(arg), "%" PRIu64, seed);
			execl(self, self, "child", arg, (char *)NULL);
			_exit(3);
		}
		h = child_work(seed);
		if (write(1, &h, sizeof(h)) != sizeof(h))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &h, sizeof(h)) != sizeof(h))
		bad = 1;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		bad = 1;
	return h;
}

__attribute__((noinline)) static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t s = 1000 + (uint64_t)id, h = (uint64_t)id;
	void *kept[KEPT] = {0};
	size_t kept_n[KEPT] = {0};

	for (long r = 0; r < rounds; r++) {
		for (int b = 0; b < BLOCKS; b++) {
			size_t n = 1 + lcg(&s) % (b == 0 ? 65536 : 512);
			unsigned char *p = malloc(n);
			uint64_t seed = lcg(&s);

			if (!p) {
				bad = 1;
				continue;
			}
			h = mix(h, use_block(p, n, seed));
			if (b == 0) {
				/* kept for KEPT rounds: live blocks for the leak report */
				int k = (int)(r % KEPT);

				if (kept[k])
					h = mix(h, kept_n[k] + ((unsigned char *)kept[k])[0]);
				free(kept[k]);
				kept[k] = p;
				kept_n[k] = n;
			} else {
				free(p);
			}
		}
		if (id == 0 && (forking || execing) && r % 100 == 50)
			h = mix(h, run_child(h & 0xffffff));
		if (!fast)
			sleep_ns(1000000);
	}
	for (int k = 0; k < KEPT; k++)
		free(kept[k]);
	sums[id] = h;
	return NULL;
}

static void on_usr1(int sig)
{
	/* only ever delivered to the sleeper thread, never inside malloc */
	void *p = malloc(64 + (size_t)handled % 256);

	if (p)
		memset(p, 1, 64);
	free(p);
	handled++;
}

static void *sleeper(void *arg)
{
	while (!stop_signals)
		sleep_ns(5000000);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[WORKERS], sl;
	uint64_t total = 0;
	sigset_t usr1;

	self = argv[0];
	if (argc == 3 && strcmp(argv[1], "child") == 0) {
		uint64_t h = child_work(strtoull(argv[2], NULL, 10));

		return write(1, &h, sizeof(h)) == sizeof(h) ? 0 : 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: chaos ROUNDS [fast] [fork] [exec] [signals]\n");
		return 2;
	}
	rounds = atol(argv[1]);
	for (int i = 2; i < argc; i++) {
		fast |= strcmp(argv[i], "fast") == 0;
		forking |= strcmp(argv[i], "fork") == 0;
		execing |= strcmp(argv[i], "exec") == 0;
		signals |= strcmp(argv[i], "signals") == 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* SIGUSR1 only for the sleeper: every other thread blocks it */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (signals) {
		pthread_create(&sl, NULL, sleeper, NULL);
	}
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	printf("ready\n");
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	if (signals) {
		/* signal the sleeper until the workers are done */
		int joined[WORKERS] = {0};

		for (;;) {
			int running = 0;

			for (int i = 0; i < WORKERS; i++) {
				if (!joined[i])
					joined[i] = pthread_tryjoin_np(t[i], NULL) == 0;
				running |= !joined[i];
			}
			if (!running)
				break;
			pthread_kill(sl, SIGUSR1);
			sleep_ns(2000000);
		}
		stop_signals = 1;
		pthread_join(sl, NULL);
		/* workers already joined above; sums are final */
	} else {
		for (int i = 0; i < WORKERS; i++)
			pthread_join(t[i], NULL);
	}
	for (int i = 0; i < WORKERS; i++)
		total = mix(total, sums[i]);
	printf("checksum %016" PRIx64 "\n", total);
	printf("done\n");
	return bad;
}
