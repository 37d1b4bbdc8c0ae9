// SPDX-License-Identifier: GPL-2.0-or-later
/* An off-CPU test target of short and long waits: on SIGUSR1 thread "waiter"
 * sleeps 1,000 times 100 us (in short_waits()), then once 100 ms (in
 * long_wait()), and prints the wall time each took in all ("short 152.3 long
 * 100.1", milliseconds). Runs until SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t quit, go;

static void on_term(int sig)
{
	quit = 1;
}

static void on_usr1(int sig)
{
	go = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static void short_waits(void)
{
	struct timespec ts = {0, 100000L};

	for (int i = 0; i < 1000; i++)
		nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void long_wait(void)
{
	struct timespec ts = {0, 100000000L};

	nanosleep(&ts, NULL);
}

static void *waiter(void *arg)
{
	struct timespec tick = {0, 10000000L};

	while (!quit) {
		if (!go) {
			nanosleep(&tick, NULL);
			continue;
		}
		go = 0;
		double t0 = now_ms();
		short_waits();
		double t1 = now_ms();
		long_wait();
		double t2 = now_ms();
		printf("short %.1f long %.1f\n", t1 - t0, t2 - t1);
		fflush(stdout);
	}
	return NULL;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_term};
	sigset_t usr1;
	pthread_t t;

	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* SIGUSR1 goes to the main thread; the waiter polls the flag */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	pthread_create(&t, NULL, waiter, NULL);
	pthread_setname_np(t, "waiter");
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!quit)
		pause();
	pthread_join(t, NULL);
	return 0;
}
