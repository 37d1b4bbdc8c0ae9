// SPDX-License-Identifier: GPL-2.0-or-later
/* A CPU-bound benchmark target: prints "ready", waits for SIGUSR1, then works for
 * the given seconds (arithmetic of its own plus memcpy and qsort in libc, no
 * allocation) and prints the work units done per second. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t go;
volatile unsigned long sink;

static void on_usr1(int sig)
{
	go = 1;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

__attribute__((noinline)) static void work_unit(char *buf, char *tmp, int *arr, unsigned seed)
{
	unsigned x = seed;
	for (int i = 0; i < 2000; i++)
		x = x * 1103515245u + 12345u;
	memcpy(tmp, buf, 16384);
	for (int i = 0; i < 64; i++)
		arr[i] = (int)((x >> 3) ^ (unsigned)(i * 2654435761u));
	qsort(arr, 64, sizeof(int), cmp_int);
	sink += x + (unsigned char)tmp[x & 16383] + (unsigned)arr[7];
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5;
	static char buf[16384], tmp[16384];
	static int arr[64];
	struct sigaction sa = {0};
	unsigned long units = 0;

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go)
		usleep(1000);
	double start = now_s(), end = start + seconds, t;
	while ((t = now_s()) < end)
		for (int i = 0; i < 64; i++)
			work_unit(buf, tmp, arr, (unsigned)units++);
	printf("%.0f\n", (double)units / (t - start));
	return 0;
}
