// SPDX-License-Identifier: GPL-2.0-or-later
/* A --children test target: a process with an idle child from the start and,
 * after SIGUSR1, N children in turn that each allocate 10 MiB, touch it, say
 * "child PID" and exit (the parent reaps each before the next), then "done".
 * SIGTERM ends it and the idle child.
 *   forker N */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (1 << 20)

static volatile sig_atomic_t go, quit;
void *volatile sink;

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

/* 10 blocks of 1 MiB, kept until the process exits: its memory goes with it. */
__attribute__((noinline)) void child_alloc(void)
{
	for (int i = 0; i < 10; i++) {
		char *p = malloc(BLOCK);
		if (p)
			memset(p, i + 1, BLOCK);
		sink = p;
	}
}

static pid_t spawn_idle(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		while (!quit)
			sleep_ms(20);
		_exit(0);
	}
	return pid;
}

static void spawn_allocating(void)
{
	fflush(stdout); /* or the child would print the parent's buffer again */
	pid_t pid = fork();

	if (pid == 0) {
		child_alloc();
		printf("child %d\n", (int)getpid());
		fflush(stdout);
		sleep_ms(200);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	int n = argc > 1 ? atoi(argv[1]) : 5;
	pid_t idle;

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	idle = spawn_idle();
	printf("idle %d\nready\n", (int)idle);
	fflush(stdout);
	while (!go && !quit)
		sleep_ms(10);
	for (int i = 0; i < n && !quit; i++)
		spawn_allocating();
	printf("done\n");
	fflush(stdout);
	while (!quit)
		sleep_ms(20);
	kill(idle, SIGTERM);
	waitpid(idle, NULL, 0);
	return 0;
}
