// SPDX-License-Identifier: GPL-2.0-or-later
/* The chaos suite's tight target (tests/chaos/run.sh): THREADS threads in
 * malloc/free loops with no sleep and no system call, while memspy installs and
 * removes its agent and dies on the way.
 *   tight [THREADS]     (8 by default)
 * Each thread runs rounds until told to stop; a round allocates blocks of
 * pseudo-random sizes, fills them, keeps up to 16 alive at once, checks and frees
 * them, and folds what it read into a hash. Round r of a thread does the work of
 * schedule entry r % 64, whose hash main computed before any thread started: a
 * block that did not hold what was written into it, or a round whose hash is not
 * that one, makes the program exit 1 at once. SIGUSR2 (or SIGTERM) ends the run:
 * the threads finish their round, main prints "rounds N" on stderr and then
 * "checksum HEX" (of the schedule: the same for every run with THREADS) and
 * "done", and exits 0. Prints "ready" once every thread runs. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64
#define SCHEDULE 64
#define CALLS 512 /* allocations a round */
#define LIVE 16

static int nthreads = 8;
static uint64_t expect[MAX_THREADS][SCHEDULE];
static atomic_int stop, started;
static atomic_long rounds_done;

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

static void corrupt(const char *what, long thread)
{
	fprintf(stderr, "tight: thread %ld: %s\n", thread, what);
	fflush(stderr);
	_exit(1);
}

/* One round: its hash, from the sizes and the bytes read back. */
__attribute__((noinline)) static uint64_t round_work(long thread, int entry)
{
	uint64_t s = (uint64_t)thread * 1000003 + (uint64_t)entry, h = s;
	unsigned char *live[LIVE] = {0};
	size_t live_n[LIVE] = {0};

	for (int i = 0; i < CALLS; i++) {
		int k = (int)(lcg(&s) % LIVE);
		/* mostly small, as a server's are; one in 16 up to 64 KiB */
		size_t n = 1 + lcg(&s) % (i % 16 == 0 ? 65536 : 256);
		unsigned char tag = (unsigned char)lcg(&s);

		if (live[k]) {
			unsigned char *p = live[k];

			if (p[0] != (unsigned char)(live_n[k] ^ 0x5a) || p[live_n[k] - 1] != p[0] ||
			    p[live_n[k] / 2] != p[0])
				corrupt("a block did not hold what was written into it", thread);
			h = mix(h, live_n[k] + p[live_n[k] / 2]);
			free(p);
		}
		unsigned char *p = malloc(n);
		if (!p)
			corrupt("malloc failed", thread);
		p[0] = p[n - 1] = p[n / 2] = (unsigned char)(n ^ 0x5a);
		live[k] = p;
		live_n[k] = n;
		h = mix(h, tag);
	}
	for (int k = 0; k < LIVE; k++)
		free(live[k]);
	return h;
}

static void *worker(void *arg)
{
	long id = (long)arg;

	atomic_fetch_add(&started, 1);
	for (long r = 0; !atomic_load_explicit(&stop, memory_order_relaxed); r++) {
		if (round_work(id, (int)(r % SCHEDULE)) != expect[id][r % SCHEDULE])
			corrupt("a round's hash changed", id);
		atomic_fetch_add_explicit(&rounds_done, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[MAX_THREADS];
	uint64_t total = 0;
	sigset_t ends;
	int sig;

	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: tight [THREADS (1-%d)]\n", MAX_THREADS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < nthreads; i++)
		for (int e = 0; e < SCHEDULE; e++)
			expect[i][e] = round_work(i, e);
	/* the end signals go to main alone, which waits for them */
	sigemptyset(&ends);
	sigaddset(&ends, SIGUSR2);
	sigaddset(&ends, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ends, NULL);
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			corrupt("pthread_create failed", i);
	while (atomic_load(&started) < nthreads)
		usleep(1000);
	printf("ready %d\n", getpid());
	if (sigwait(&ends, &sig))
		corrupt("sigwait failed", -1);
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < nthreads; i++)
		for (int e = 0; e < SCHEDULE; e++)
			total = mix(total, expect[i][e]);
	fprintf(stderr, "rounds %ld\n", atomic_load(&rounds_done));
	printf("checksum %016" PRIx64 "\n", total);
	printf("done\n");
	return 0;
}
