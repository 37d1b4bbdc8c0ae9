// SPDX-License-Identifier: GPL-2.0-or-later
/* An off-CPU test target with a known split: thread "mixer" spends 20% of its
 * time on the CPU (a busy loop in burn()), 30% in nanosleep (in nap()) and 50% in
 * a futex wait (a condition variable nobody signals, timing out, in
 * wait_lock()), in turns of 2, 3 and 5 ms. The main thread is idle: it wakes
 * every 100 ms to look for signals. On SIGUSR1 it prints the share of its wall
 * time each phase really took since the last SIGUSR1 ("cpu 20.3 sleep 29.8 lock
 * 49.9"); runs until SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t quit, report;
static double phase_ms[3]; /* cpu, sleep, lock: wall time spent in each */
volatile unsigned long sink;

static void on_term(int sig)
{
	quit = 1;
}

static void on_usr1(int sig)
{
	report = 1;
}

static double now_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run ms of thread CPU time. */
__attribute__((noinline)) static void burn(double ms)
{
	double end = now_ms(CLOCK_THREAD_CPUTIME_ID) + ms;
	unsigned long x = sink;

	while (now_ms(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005UL + 1;
	sink = x;
}

__attribute__((noinline)) static void nap(long ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void wait_lock(long ms)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ms * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m);
	while (pthread_cond_timedwait(&c, &m, &until) == 0)
		;
	pthread_mutex_unlock(&m);
}

static void *mixer(void *arg)
{
	while (!quit) {
		double t0 = now_ms(CLOCK_MONOTONIC), t1, t2, t3;
		burn(2);
		t1 = now_ms(CLOCK_MONOTONIC);
		nap(3);
		t2 = now_ms(CLOCK_MONOTONIC);
		wait_lock(5);
		t3 = now_ms(CLOCK_MONOTONIC);
		phase_ms[0] += t1 - t0;
		phase_ms[1] += t2 - t1;
		phase_ms[2] += t3 - t2;
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_term};
	pthread_t t;

	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, mixer, NULL);
	pthread_setname_np(t, "mixer");
	printf("ready\n");
	fflush(stdout);
	while (!quit) {
		struct timespec tick = {0, 100000000L};
		nanosleep(&tick, NULL);
		if (report) {
			double all = phase_ms[0] + phase_ms[1] + phase_ms[2];
			report = 0;
			/* a phase ending meanwhile may land on either side: a turn is 10 ms */
			printf("cpu %.1f sleep %.1f lock %.1f\n", 100 * phase_ms[0] / all,
			       100 * phase_ms[1] / all, 100 * phase_ms[2] / all);
			fflush(stdout);
			memset(phase_ms, 0, sizeof(phase_ms));
		}
	}
	pthread_join(t, NULL);
	return 0;
}
