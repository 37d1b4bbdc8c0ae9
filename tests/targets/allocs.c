// SPDX-License-Identifier: GPL-2.0-or-later
/* A threaded test target: after SIGUSR1 it starts two threads (created after memspy
 * attached) that each leak through their own function, then waits for SIGTERM.
 * thread_leak_a leaks 100 x 1000 bytes, thread_leak_b 50 x 2000 bytes. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t go, quit;
volatile unsigned long allocs_sink;

static void on_usr1(int sig)
{
	go = 1;
}

static void on_term(int sig)
{
	quit = 1;
}

__attribute__((noinline)) static void *thread_leak_a(void *arg)
{
	for (int i = 0; i < 100; i++) {
		char *p = malloc(1000);
		memset(p, 1, 16);
		allocs_sink += (unsigned long)p;
	}
	allocs_sink++;
	return NULL;
}

__attribute__((noinline)) static void *thread_leak_b(void *arg)
{
	for (int i = 0; i < 50; i++) {
		char *p = malloc(2000);
		memset(p, 1, 16);
		allocs_sink += (unsigned long)p;
	}
	allocs_sink++;
	return NULL;
}

int main(void)
{
	struct sigaction sa = {0};
	struct timespec ms10 = {0, 10000000L};
	pthread_t a, b;

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		nanosleep(&ms10, NULL);
	pthread_create(&a, NULL, thread_leak_a, NULL);
	pthread_create(&b, NULL, thread_leak_b, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("done\n");
	fflush(stdout);
	while (!quit)
		nanosleep(&ms10, NULL);
	return 0;
}
