// SPDX-License-Identifier: GPL-2.0-or-later
/* The chaos suite's tight target (tests/chaos/run.sh): THREADS threads in
 * malloc/free loops with no sleep and no system call, while memspy installs and
 * removes its agent and dies on the way.
 *   tight [THREADS] [signals] [fork]     (8 threads by default)
 * Each thread runs rounds until told to stop; a round allocates blocks of
 * pseudo-random sizes, fills them, keeps up to 16 alive at once, checks and frees
 * them, and folds what it read into a hash. Round r of a thread does the work of
 * schedule entry r % 64, whose hash main computed before any thread started: a
 * block that did not hold what was written into it, or a round whose hash is not
 * that one, makes the program exit 1 at once. SIGUSR2 (or SIGTERM) ends the run:
 * the threads finish their round, main prints "rounds N handled H children C"
 * on stderr and then
 * "checksum HEX" (of the schedule: the same for every run with THREADS) and
 * "done", and exits 0. Prints "ready" once every thread runs.
 * "signals": one more thread sleeps in 5 ms steps and gets SIGUSR1 every 2 ms
 * from another; its handler allocates (it only ever interrupts that sleep, never
 * a malloc). "fork": one more thread forks a child every 20 ms that execs this
 * program ("tight child SEED"), does a little allocating work and writes its hash
 * to a pipe the thread reads and checks. Both must have happened by the end. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define SCHEDULE 64
#define CALLS 512 /* allocations a round */
#define LIVE 16

static int nthreads = 8;
static uint64_t expect[MAX_THREADS][SCHEDULE];
static atomic_int stop, started;
static atomic_long rounds_done, handled, children;
static const char *self;

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

static void sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000}, rem;

	/* the signalled sleeper is cut short by design: it sleeps the rest */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem) == EINTR)
		ts = rem;
}

static void on_usr1(int sig)
{
	unsigned char *p = malloc(64 + (size_t)(atomic_load(&handled) % 512));

	(void)sig;
	if (p)
		memset(p, 1, 64);
	free(p);
	atomic_fetch_add(&handled, 1);
}

static void *sleeper(void *arg)
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	while (!atomic_load(&stop))
		sleep_ms(5);
	return arg;
}

static void *signaller(void *arg)
{
	pthread_t to = *(pthread_t *)arg;

	while (!atomic_load(&stop)) {
		pthread_kill(to, SIGUSR1);
		sleep_ms(2);
	}
	return NULL;
}

/* A child's work, the same in this process and in an exec'd child. */
static uint64_t child_work(uint64_t seed)
{
	uint64_t h = seed, s = seed;

	for (int i = 0; i < 200; i++) {
		size_t n = 1 + lcg(&s) % 4096;
		unsigned char *p = malloc(n);

		if (!p)
			return 0;
		p[0] = p[n - 1] = (unsigned char)s;
		h = mix(h, n + p[0] + p[n - 1]);
		free(p);
	}
	return h;
}

static void *forker(void *arg)
{
	for (uint64_t seed = 1; !atomic_load(&stop); seed++) {
		int fds[2], status;
		uint64_t got = 0;
		char arg1[32];

		if (pipe(fds))
			corrupt("pipe failed", -1);
		snprintf(arg1, sizeof(arg1), "%" PRIu64, seed);
		pid_t pid = fork();
		if (pid < 0)
			corrupt("fork failed", -1);
		if (pid == 0) {
			dup2(fds[1], 1);
			execl(self, self, "child", arg1, (char *)NULL);
			_exit(3);
		}
		close(fds[1]);
		if (read(fds[0], &got, sizeof(got)) != sizeof(got) || got != child_work(seed))
			corrupt("a child's hash was not what it should be", -1);
		close(fds[0]);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			corrupt("a child failed", -1);
		atomic_fetch_add(&children, 1);
		sleep_ms(20);
	}
	return arg;
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
	pthread_t t[MAX_THREADS], sl, sg, fk;
	uint64_t total = 0;
	sigset_t ends;
	int sig, signals = 0, forking = 0;

	self = argv[0];
	if (argc == 3 && strcmp(argv[1], "child") == 0) {
		uint64_t h = child_work(strtoull(argv[2], NULL, 10));

		return write(1, &h, sizeof(h)) == sizeof(h) ? 0 : 2;
	}
	if (argc > 1)
		nthreads = atoi(argv[1]);
	for (int i = 2; i < argc; i++) {
		signals |= strcmp(argv[i], "signals") == 0;
		forking |= strcmp(argv[i], "fork") == 0;
	}
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: tight [THREADS (1-%d)]\n", MAX_THREADS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0; i < nthreads; i++)
		for (int e = 0; e < SCHEDULE; e++)
			expect[i][e] = round_work(i, e);
	/* the end signals go to main alone, which waits for them; SIGUSR1 to the
	 * sleeper alone */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&ends);
	sigaddset(&ends, SIGUSR2);
	sigaddset(&ends, SIGTERM);
	sigaddset(&ends, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &ends, NULL);
	sigdelset(&ends, SIGUSR1);
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			corrupt("pthread_create failed", i);
	if (signals && (pthread_create(&sl, NULL, sleeper, NULL) ||
			pthread_create(&sg, NULL, signaller, &sl)))
		corrupt("pthread_create failed", -1);
	if (forking && pthread_create(&fk, NULL, forker, NULL))
		corrupt("pthread_create failed", -1);
	while (atomic_load(&started) < nthreads)
		usleep(1000);
	printf("ready %d\n", getpid());
	if (sigwait(&ends, &sig))
		corrupt("sigwait failed", -1);
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	if (signals) {
		pthread_join(sg, NULL);
		pthread_join(sl, NULL);
		if (!atomic_load(&handled))
			corrupt("no SIGUSR1 was handled", -1);
	}
	if (forking) {
		pthread_join(fk, NULL);
		if (!atomic_load(&children))
			corrupt("no child ran", -1);
	}
	for (int i = 0; i < nthreads; i++)
		for (int e = 0; e < SCHEDULE; e++)
			total = mix(total, expect[i][e]);
	fprintf(stderr, "rounds %ld handled %ld children %ld\n", atomic_load(&rounds_done),
		atomic_load(&handled), atomic_load(&children));
	printf("checksum %016" PRIx64 "\n", total);
	printf("done\n");
	return 0;
}
