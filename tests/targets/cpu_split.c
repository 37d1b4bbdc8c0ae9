// SPDX-License-Identifier: GPL-2.0-or-later
/* A CPU test target with a known split: after SIGUSR1, thread "hot" burns 80% of
 * the CPU time and thread "cold" 20%. The threads take turns, each measuring its
 * turn on its own thread CPU clock, so only one runs at a time and the split holds
 * however loaded the machine is. Both spend part of their time inside libc
 * (memcpy, qsort). Runs until SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t go, quit;
volatile unsigned long cpu_sink;

static void on_usr1(int sig)
{
	go = 1;
}

static void on_term(int sig)
{
	quit = 1;
}

static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* One unit of work: arithmetic of our own, a copy and a sort in libc. */
__attribute__((noinline)) static void work_unit(char *buf, char *tmp, int *arr, unsigned seed)
{
	unsigned x = seed;
	for (int i = 0; i < 2000; i++)
		x = x * 1103515245u + 12345u;
	memcpy(tmp, buf, 16384);
	for (int i = 0; i < 256; i++)
		arr[i] = (int)((x >> 3) ^ (unsigned)(i * 2654435761u));
	qsort(arr, 256, sizeof(int), cmp_int);
	cpu_sink += x + (unsigned char)tmp[x & 16383] + (unsigned)arr[7];
}

static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: hot's turn, 1: cold's */

/* Wait for turn me, burn share of a period in this thread's CPU time, hand the
 * turn over; repeat. The period is drawn anew each time (2 to 8 ms) so the turns
 * cannot beat with the sampling clock's period and bias the split. */
static void take_turns(int me, double share)
{
	char *buf = calloc(1, 16384), *tmp = malloc(16384);
	int *arr = malloc(256 * sizeof(int));
	unsigned seed = 1, rng = 7;

	while (!quit) {
		pthread_mutex_lock(&turn_lock);
		while (turn != me && !quit) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 10000000L; /* look at quit now and then */
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&turn_changed, &turn_lock, &until);
		}
		pthread_mutex_unlock(&turn_lock);
		rng = rng * 1664525u + 1013904223u;
		double period_ms = 2.0 + 6.0 * (double)(rng >> 8) / (double)(1u << 24);
		double until = thread_cpu_ms() + share * period_ms;
		while (thread_cpu_ms() < until)
			work_unit(buf, tmp, arr, seed++);
		pthread_mutex_lock(&turn_lock);
		turn = !me;
		pthread_cond_broadcast(&turn_changed);
		pthread_mutex_unlock(&turn_lock);
	}
	free(buf);
	free(tmp);
	free(arr);
}

__attribute__((noinline)) static void *hot_thread(void *arg)
{
	take_turns(0, 0.8);
	cpu_sink++;
	return NULL;
}

__attribute__((noinline)) static void *cold_thread(void *arg)
{
	take_turns(1, 0.2);
	cpu_sink++;
	return NULL;
}

int main(void)
{
	struct sigaction sa = {0};
	struct timespec ms10 = {0, 10000000L};
	pthread_t hot, cold;

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		nanosleep(&ms10, NULL);
	pthread_create(&hot, NULL, hot_thread, NULL);
	pthread_setname_np(hot, "hot");
	pthread_create(&cold, NULL, cold_thread, NULL);
	pthread_setname_np(cold, "cold");
	pthread_join(hot, NULL);
	pthread_join(cold, NULL);
	return 0;
}
