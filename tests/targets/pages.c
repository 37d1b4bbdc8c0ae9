// SPDX-License-Identifier: GPL-2.0-or-later
/* A forked worker whose memory grows two ways, for the RSS test. The parent fills
 * 32 MiB and forks; the child prints "ready <pid>" and, after SIGUSR1, runs 32
 * steps 100 ms apart, each writing once to every page of the next MiB it shares
 * with its parent (copy-on-write: private copies of pages it already had, no RSS
 * growth) and mapping one new MiB that it fills (256 new pages, kept). Then it
 * prints "done" and waits for SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define STEPS 32
#define PAGE 4096

static volatile sig_atomic_t go, quit;

static void on_usr1(int sig)
{
	go = 1;
}

static void on_term(int sig)
{
	quit = 1;
}

/* anonymous memory in base pages, so a fault is one page */
static char *map_mib(size_t n)
{
	char *p = mmap(NULL, n * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, n * MIB, MADV_NOHUGEPAGE);
	return p;
}

__attribute__((noinline)) static void write_inherited(volatile char *mib)
{
	for (size_t off = 0; off < MIB; off += PAGE)
		mib[off]++;
}

__attribute__((noinline)) static void fill_fresh(volatile char *mib)
{
	for (size_t off = 0; off < MIB; off += PAGE)
		mib[off] = 1;
}

static void child(char *inherited)
{
	struct timespec tick = {0, 100 * 1000 * 1000};

	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		pause();
	for (int i = 0; i < STEPS && !quit; i++) {
		write_inherited(inherited + (size_t)i * MIB);
		fill_fresh(map_mib(1));
		nanosleep(&tick, NULL);
	}
	printf("done\n");
	fflush(stdout);
	while (!quit)
		pause();
	exit(0);
}

int main(void)
{
	char *inherited = map_mib(STEPS);
	pid_t pid;
	int status;

	for (size_t off = 0; off < STEPS * MIB; off += PAGE)
		inherited[off] = 1;
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		child(inherited);
	signal(SIGTERM, SIG_IGN); /* the test stops the child; the parent waits for it */
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
