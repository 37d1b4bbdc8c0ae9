// SPDX-License-Identifier: GPL-2.0-or-later
/* A test target that leaks on cue. It prints "ready", waits for SIGUSR1 (sent once
 * memspy is attached), runs the workload of its mode, prints "done" and waits for
 * SIGTERM, so the profile holds exactly the workload.
 *
 *   leaky exact     200 blocks of 5000..5199 bytes through leak_a..leak_d (1019900
 *                   bytes), 10 reallocs kept (10 x 3000 bytes), every entry point
 *                   churned and freed
 *   leaky sampled   80 MiB leaked in 4 KiB blocks by leak_d, 80 MiB churned
 *   leaky steady S  for S seconds: leak_steady leaks 4 MiB/s; busy_transient
 *                   allocates 8 MiB/s and frees at a steady level
 *   leaky giveback S  for S seconds under busy_transient's load: leak_steady grows
 *                   4 MiB/s for S/2 seconds, then frees it all by 3S/4
 *   leaky cache S   for S seconds under busy_transient's load: fill_cache grows
 *                   4 MiB/s for the first 30% of them, then holds its level
 *   leaky fork N    forks N children (the first of which forks a grandchild); each
 *                   leaks 10 blocks of one size through leak_in_child and prints
 *                   "child PID SIZE"; the parent then leaks 5 x 4000 bytes through
 *                   leak_a..leak_d. SIGTERM ends the children too. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leaky.h"

static volatile sig_atomic_t go, quit;

static void on_usr1(int sig)
{
	go = 1;
}

static void on_term(int sig)
{
	quit = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static pid_t kids[64];
static int nr_kids;

static void end_kids(void)
{
	for (int i = 0; i < nr_kids; i++)
		kill(kids[i], SIGTERM);
	for (int i = 0; i < nr_kids; i++)
		waitpid(kids[i], NULL, 0);
}

/* A child of "fork" mode: leak, say so, wait for SIGTERM. */
static void spawn(size_t size, int with_grandchild)
{
	fflush(stdout); /* or the child would print the parent's buffer again */
	pid_t pid = fork();
	if (pid < 0) {
		perror("leaky: fork");
		return;
	}
	if (pid > 0) {
		if (nr_kids < 64)
			kids[nr_kids++] = pid;
		return;
	}
	nr_kids = 0;
	for (int i = 0; i < 10; i++)
		leak_in_child(size);
	if (with_grandchild)
		spawn(size + 5, 0);
	printf("child %d %zu\n", (int)getpid(), size);
	fflush(stdout);
	while (!quit)
		sleep_ms(10);
	end_kids();
	_exit(0);
}

static void run_fork(int n)
{
	for (int i = 0; i < n && i < 32; i++)
		spawn(6000 + (size_t)i * 10, i == 0);
	for (int i = 0; i < 5; i++)
		leak_a(4000);
}

static void run_exact(void)
{
	static void *kept[256];

	for (int i = 0; i < 200; i++) {
		kept[i] = leak_a(5000 + (size_t)i);
		churn_all(100 + (size_t)i);
		if (i % 20 == 0)
			kept[200 + i / 20] = grow_kept(1000, 3000);
	}
}

static void run_sampled(void)
{
	static void *ring[64];

	for (int i = 0; i < 20480; i++) {
		leak_d(4096);
		int k = i % 64;
		free(ring[k]);
		ring[k] = busy_transient(4096);
	}
}

static void run_steady(double seconds)
{
	static void *ring[256];
	int steps = (int)(seconds * 20);

	/* Every 50 ms: 200 KiB leaked, 400 KiB allocated into a ring that frees as
	 * much, so the busy site's live bytes stay flat once the ring is full. */
	for (int s = 0; s < steps && !quit; s++) {
		for (int j = 0; j < 50; j++)
			leak_steady(4096);
		for (int j = 0; j < 100; j++) {
			int k = (s * 100 + j) % 256;
			free(ring[k]);
			ring[k] = busy_transient(4096);
		}
		sleep_ms(50);
	}
}

/* 50 ms of busy_transient's load: 400 KiB into a ring that frees as much. */
static void busy_step(int s)
{
	static void *ring[256];

	for (int j = 0; j < 100; j++) {
		int k = (s * 100 + j) % 256;
		free(ring[k]);
		ring[k] = busy_transient(4096);
	}
}

static void run_shape(int giveback, double seconds)
{
	static void *held[1 << 17];
	int steps = (int)(seconds * 20), nheld = 0;

	for (int s = 0; s < steps && !quit; s++) {
		if (giveback && s < steps / 2)
			for (int j = 0; j < 50 && nheld < (1 << 17); j++)
				held[nheld++] = leak_steady(4096);
		else if (giveback)
			for (int j = 0; j < 100 && nheld; j++)
				free(held[--nheld]);
		else if (s < steps * 3 / 10)
			for (int j = 0; j < 50 && nheld < (1 << 17); j++)
				held[nheld++] = fill_cache(4096);
		busy_step(s);
		sleep_ms(50);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "exact";
	struct sigaction sa = {0};

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		sleep_ms(10);
	if (!strcmp(mode, "exact"))
		run_exact();
	else if (!strcmp(mode, "sampled"))
		run_sampled();
	else if (!strcmp(mode, "steady"))
		run_steady(argc > 2 ? atof(argv[2]) : 8);
	else if (!strcmp(mode, "giveback") || !strcmp(mode, "cache"))
		run_shape(!strcmp(mode, "giveback"), argc > 2 ? atof(argv[2]) : 8);
	else if (!strcmp(mode, "fork"))
		run_fork(argc > 2 ? atoi(argv[2]) : 2);
	else {
		fprintf(stderr, "leaky: unknown mode %s\n", mode);
		return 2;
	}
	printf("done\n");
	fflush(stdout);
	while (!quit)
		sleep_ms(10);
	end_kids();
	return 0;
}
