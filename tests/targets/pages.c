// SPDX-License-Identifier: GPL-2.0-or-later
/* A forked worker whose memory grows and shrinks, for the RSS test. The parent
 * fills 32 MiB and forks; the child prints "ready <pid>" and, after SIGUSR1, runs
 * 32 steps 100 ms apart, each writing once to every page of the next MiB it shares
 * with its parent (copy-on-write: private copies of pages it already had, no RSS
 * growth), filling the next MiB of a 32 MiB mapping it keeps (fill_fresh: 256 new
 * pages) and filling a new MiB that it unmaps again (fill_returned). Then it moves
 * the first 8 MiB of the kept mapping elsewhere (mremap: still resident), gives the
 * next 8 MiB back (MADV_DONTNEED), prints "done" and waits for SIGTERM: 24 MiB of
 * fill_fresh's pages stay, 40 MiB of new pages were given back. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap */
#endif
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

static void fill(volatile char *mib)
{
	for (size_t off = 0; off < MIB; off += PAGE)
		mib[off] = 1;
}

__attribute__((noinline)) static void fill_fresh(char *mib)
{
	fill(mib);
}

__attribute__((noinline)) static void fill_returned(void)
{
	char *mib = map_mib(1);

	fill(mib);
	munmap(mib, MIB);
}

static void child(char *inherited)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	char *kept = map_mib(STEPS), *dest = map_mib(8);

	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		pause();
	for (int i = 0; i < STEPS && !quit; i++) {
		write_inherited(inherited + (size_t)i * MIB);
		fill_fresh(kept + (size_t)i * MIB);
		fill_returned();
		nanosleep(&tick, NULL);
	}
	if (mremap(kept, 8 * MIB, 8 * MIB, MREMAP_MAYMOVE | MREMAP_FIXED, dest) == MAP_FAILED)
		perror("mremap");
	madvise(kept + 8 * MIB, 8 * MIB, MADV_DONTNEED);
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
