// SPDX-License-Identifier: GPL-2.0-or-later
/* A target whose threads wait in every way a borrowed thread can be found in,
 * each checking that it was never disturbed: blocked in read() on a pipe, in
 * pthread_cond_wait (futex), in clock_nanosleep (never cut short, never much
 * longer), in poll, in epoll_wait with a timeout (never EINTR, never borrowed)
 * and without one (borrowed: memspy restarts the wait; EINTR only when a signal
 * handler ran meanwhile), and busy with floating point in
 * a non-default rounding mode (results and MXCSR checked every round, AVX
 * registers live across a loop). Threads are named w-read, w-futex, w-sleep,
 * w-poll, w-epoll, w-epinf, w-busy, w-main. SIGTERM prints "term" and exits 0; SIGUSR1
 * allocates; SIGUSR2 feeds the remaining rounds at once (the checksum depends
 * on ROUNDS alone, so a test ends the run when its cases are done). Usage: waiters [ROUNDS [PERIOD_MS]]: the main thread feeds every
 * waiter ROUNDS times, PERIOD_MS apart, then prints "checksum N" (the same for
 * every run with the same ROUNDS) and exits 0, or exits non-zero on any sign of
 * disturbance. */
#include <errno.h>
#include <fenv.h>
#include <immintrin.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define END_MARK 0xffffffffu
#define SLEEP_NS 100000000L /* each sleep of w-sleep: 100 ms */
/* A sleep restarted from the start (memspy died) takes up to twice, plus the
 * time memspy held the thread; this shared VM, at a load average of 127, has
 * delayed a wake-up by 4.7 s with no injection of that thread at all: "much
 * longer" is what no load explains, a sleep restarted over and over or lost. */
#define SLEEP_LATE_NS 6000000000L

static int read_pipe[2], poll_pipe[2], epoll_pipe[2], epinf_pipe[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned seq;
static atomic_int done;
static uint64_t sums[8];
static volatile sig_atomic_t usr1;
static volatile sig_atomic_t hurry;
static uint64_t late_max_ns; /* the sleeper's worst lateness, for the log */

static void die(const char *what)
{
	fprintf(stderr, "waiters: %s\n", what);
	fflush(stderr);
	_exit(3);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_term(int sig)
{
	(void)sig;
	write(1, "term\n", 5);
	_exit(0);
}

static void on_usr1(int sig)
{
	/* what real handlers do even though they should not */
	void *p = malloc(64 + (size_t)sig);

	free(p);
	usr1 = usr1 + 1;
}

static void on_usr2(int sig)
{
	hurry = sig;
}

static void name(const char *n)
{
	pthread_setname_np(pthread_self(), n);
}

/* Consume words until END_MARK; the sum goes to sums[slot]. */
static int take(int fd, int slot)
{
	uint32_t v;
	ssize_t n = read(fd, &v, sizeof(v));

	if (n < 0 && errno == EINTR)
		die("EINTR in read");
	if (n != sizeof(v))
		die("short read");
	if (v == END_MARK)
		return 0;
	sums[slot] = sums[slot] * 31 + v;
	return 1;
}

static void *reader(void *arg)
{
	name("w-read");
	while (take(read_pipe[0], 0))
		;
	return arg;
}

static void *futex_waiter(void *arg)
{
	unsigned seen = 0;

	name("w-futex");
	pthread_mutex_lock(&lock);
	while (!done) {
		while (seq == seen && !done)
			pthread_cond_wait(&cond, &lock);
		seen = seq;
	}
	sums[1] = seen;
	pthread_mutex_unlock(&lock);
	return arg;
}

static void *sleeper(void *arg)
{
	long sleeps = 0;

	name("w-sleep");
	while (!done) {
		struct timespec req = {0, SLEEP_NS};
		uint64_t t0 = now_ns(), took;
		int err = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);

		took = now_ns() - t0;
		if (err == EINTR)
			die("EINTR in clock_nanosleep");
		if (took < SLEEP_NS)
			die("clock_nanosleep cut short");
		if (took > SLEEP_LATE_NS) {
			fprintf(stderr, "waiters: a 100 ms sleep took %llu ms\n",
				(unsigned long long)(took / 1000000));
			die("clock_nanosleep much longer than asked");
		}
		if (took - SLEEP_NS > late_max_ns)
			late_max_ns = took - SLEEP_NS;
		sleeps++;
	}
	return arg;
}

static void *poller(void *arg)
{
	struct pollfd p = {.fd = poll_pipe[0], .events = POLLIN};

	name("w-poll");
	for (;;) {
		int n = poll(&p, 1, 5000);

		if (n < 0 && errno == EINTR)
			die("EINTR in poll");
		if (n < 0)
			die("poll failed");
		if (n > 0 && !take(poll_pipe[0], 2))
			return arg;
	}
}

static void *epoller(void *arg)
{
	struct epoll_event ev = {.events = EPOLLIN}, got;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	name("w-epoll");
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, epoll_pipe[0], &ev))
		die("epoll setup failed");
	for (;;) {
		int n = epoll_wait(ep, &got, 1, 5000);

		if (n < 0 && errno == EINTR)
			die("EINTR in epoll_wait");
		if (n < 0)
			die("epoll_wait failed");
		if (n > 0 && !take(epoll_pipe[0], 3))
			return arg;
	}
}

/* epoll_wait with no timeout: the waits memspy borrows and restarts itself. */
static void *epoller_endless(void *arg)
{
	struct epoll_event ev = {.events = EPOLLIN}, got;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	name("w-epinf");
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, epinf_pipe[0], &ev))
		die("epoll setup failed");
	for (;;) {
		int handled = usr1;
		int n = epoll_wait(ep, &got, 1, -1);

		/* a handler that ran on this thread ends the wait, as it must */
		if (n < 0 && errno == EINTR && usr1 == handled)
			die("EINTR in epoll_wait without a timeout");
		if (n < 0 && errno != EINTR)
			die("epoll_wait failed");
		if (n > 0 && !take(epinf_pipe[0], 6))
			return arg;
	}
}

/* A sum whose last bits depend on the rounding mode. */
static __attribute__((noipa)) double fp_work(int n)
{
	double s = 0;

	for (int i = 1; i <= n; i++)
		s += 1.0 / (i + 2) + (double)i / 7.0;
	return s;
}

static __attribute__((noipa)) long double x87_work(int n)
{
	long double s = 0;

	for (int i = 1; i <= n; i++)
		s += 1.0L / (i + 2);
	return s;
}

/* Four lanes kept in a ymm register across the whole loop: a restore that
 * dropped the upper halves would change the result. */
static __attribute__((noipa, target("avx"))) double avx_work(int n)
{
	__m256d acc = _mm256_set_pd(1.0, 2.0, 3.0, 4.0);
	__m256d step = _mm256_set_pd(1.0 / 3, 1.0 / 7, 1.0 / 11, 1.0 / 13);
	double out[4];

	for (int i = 0; i < n; i++)
		acc = _mm256_add_pd(_mm256_mul_pd(acc, _mm256_set1_pd(0.999999)), step);
	_mm256_storeu_pd(out, acc);
	return out[0] + out[1] * 3 + out[2] * 5 + out[3] * 7;
}

static void *busy(void *arg)
{
	const int n = 20000;
	double want, near, got_avx, want_avx = 0;
	long double want87;
	int avx = __builtin_cpu_supports("avx");

	name("w-busy");
	near = fp_work(n);
	fesetround(FE_TOWARDZERO);
	want = fp_work(n);
	want87 = x87_work(n);
	if (want == near)
		die("rounding mode has no effect on the check");
	if (avx)
		want_avx = avx_work(n);
	while (!done) {
		if (fegetround() != FE_TOWARDZERO)
			die("rounding mode (MXCSR/x87 control word) changed");
		if (fp_work(n) != want)
			die("SSE result changed");
		if (x87_work(n) != want87)
			die("x87 result changed");
		if (avx && (got_avx = avx_work(n)) != want_avx)
			die("AVX result changed");
	}
	memcpy(&sums[4], &want, sizeof(want));
	return arg;
}

static void put(int fd, uint32_t v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		die("write to a pipe failed");
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 100;
	long period_ms = argc > 2 ? atol(argv[2]) : 20;
	void *(*fns[])(void *) = {reader, futex_waiter, sleeper, poller, epoller, busy,
				  epoller_endless};
	pthread_t th[7];
	struct timespec next;
	uint64_t check = 0;
	sigset_t usr2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_term);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	if (pipe(read_pipe) || pipe(poll_pipe) || pipe(epoll_pipe) || pipe(epinf_pipe))
		die("pipe failed");
	/* SIGUSR2 only for the main thread: its handler would end the others'
	 * waits with EINTR, which they count as a failure */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	for (int i = 0; i < 7; i++)
		if (pthread_create(&th[i], NULL, fns[i], NULL))
			die("pthread_create failed");
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
	name("w-main");
	usleep(50000); /* every thread named and waiting */
	printf("ready %d\n", getpid());
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (uint32_t i = 1; i <= (uint32_t)rounds; i++) {
		next.tv_nsec += period_ms * 1000000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		/* an absolute sleep: its interruption restarts it as it is (a
		 * SIGUSR2 handler run ends it with EINTR, as it must) */
		if (!hurry && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !hurry)
			die("EINTR in the main thread's sleep");
		put(read_pipe[1], i);
		put(poll_pipe[1], i * 3);
		put(epoll_pipe[1], i * 5);
		put(epinf_pipe[1], i * 7);
		pthread_mutex_lock(&lock);
		seq = i;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	put(read_pipe[1], END_MARK);
	put(poll_pipe[1], END_MARK);
	put(epoll_pipe[1], END_MARK);
	put(epinf_pipe[1], END_MARK);
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 7; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 5; i++)
		check = check * 1000003 + sums[i];
	check = check * 1000003 + sums[6];
	printf("usr1 %d\n", (int)usr1);
	printf("latest sleep %llu ms late\n", (unsigned long long)(late_max_ns / 1000000));
	printf("checksum %llx\n", (unsigned long long)check);
	return 0;
}
