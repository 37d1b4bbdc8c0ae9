// SPDX-License-Identifier: GPL-2.0-or-later
/* A target that maps new pages faster than memspy traces every fault: it prints
 * "ready <pid>", and after SIGUSR1 grows by 256 MiB a second for <seconds>
 * (default 6): every 10 ms grow_heap() writes to each page of the next 2.5 MiB of
 * a mapping it keeps (65,536 new pages a second, four times the mark where memspy
 * traces faults in windows). Then it prints "done <pages>" with the pages it
 * wrote and waits for SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define PER_STEP 640 /* pages each 10 ms */

static volatile sig_atomic_t go, quit;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

__attribute__((noinline)) static void grow_heap(volatile char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		p[i * PAGE] = 1;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 6;
	size_t steps = (size_t)secs * 100, pages = steps * PER_STEP;
	struct timespec next, tick = {0, 10 * 1000 * 1000};
	char *heap;

	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	heap = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		pause();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (size_t s = 0; s < steps && !quit; s++) {
		grow_heap(heap + s * PER_STEP * PAGE, PER_STEP);
		next.tv_nsec += tick.tv_nsec;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("done %zu\n", pages);
	fflush(stdout);
	while (!quit)
		pause();
	return 0;
}
