// SPDX-License-Identifier: GPL-2.0-or-later
/* A CPU test target for libc's edges of a stack: "threads" starts and joins
 * short-lived threads in a loop (samples land in the clone3 child before its
 * CFI marks the end of the stack), "writes" writes to /dev/null in a loop
 * (libc's write, whose DWARF names an inlined alias of itself). "mallocs"
 * allocates and frees as fast as it can from 4 threads, 40 calls deep, to
 * overload a profiler that records every allocation. Runs until SIGTERM. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t quit;
volatile unsigned long churn_sink;

static void on_term(int sig)
{
	quit = 1;
}

static void *short_life(void *arg)
{
	for (int i = 0; i < 100; i++)
		churn_sink++;
	return arg;
}

static void *sleeper(void *arg)
{
	pause();
	return arg;
}

__attribute__((noinline)) static void start_threads(void)
{
	while (!quit) {
		pthread_t t;

		if (pthread_create(&t, NULL, short_life, NULL) == 0)
			pthread_join(t, NULL);
	}
}

__attribute__((noinline)) static void write_null(void)
{
	static const char buf[64];
	int fd = open("/dev/null", O_WRONLY);
	pthread_t idle;

	/* a second thread makes libc take write's cancellable path */
	pthread_create(&idle, NULL, sleeper, NULL);
	while (!quit && fd >= 0)
		churn_sink += (unsigned long)write(fd, buf, sizeof(buf));
}

/* depth frames down, then malloc and free until told to stop */
__attribute__((noinline)) static void churn_deep(int depth)
{
	if (depth > 0) {
		churn_deep(depth - 1);
		churn_sink++; /* not a tail call: each level keeps its frame */
		return;
	}
	for (unsigned long i = 0; !quit; i++) {
		char *p = malloc(16 + (i % 64) * 16);
		if (p)
			p[0] = (char)i;
		churn_sink += (unsigned long)(p != NULL);
		free(p);
	}
}

static void *churn_thread(void *arg)
{
	churn_deep(40);
	return arg;
}

__attribute__((noinline)) static void churn_mallocs(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn_thread, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "writes"))
		write_null();
	else if (argc > 1 && !strcmp(argv[1], "mallocs"))
		churn_mallocs();
	else
		start_threads();
	return 0;
}
