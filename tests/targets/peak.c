// SPDX-License-Identifier: GPL-2.0-or-later
/* A test target with a known peak: after SIGUSR1, build_peak allocates 200,000
 * blocks of 32 to 4096 bytes (25,000 in each power of two from 32 B to 4 KiB), all
 * live at once; free_peak frees them; then leak_slowly leaks 100 blocks of 1000
 * bytes over about a second. It prints the peak's bytes, the bytes it allocated
 * and its allocations per power of two, then "done", and waits for SIGTERM.
 * Allocation is paced so that a run recording every allocation loses none. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NBLOCKS 200000
#define CHUNK 2000

static volatile sig_atomic_t go, quit;
static void *blocks[NBLOCKS];
static unsigned long hist[64];
static unsigned long long peak_bytes, alloc_bytes;
volatile unsigned long peak_sink;

static void on_usr1(int sig)
{
	go = 1;
}

static void on_term(int sig)
{
	quit = 1;
}

static void pause_ms(long ms)
{
	struct timespec t = {0, ms * 1000000L};

	nanosleep(&t, NULL);
}

/* Block i's size: power of two i % 8 from 32 B, somewhere in that power's range. */
static size_t block_size(unsigned int i)
{
	unsigned int k = i % 8;
	size_t lo = (size_t)32 << k;

	if (k == 7)
		return 4096;
	return lo + ((i * 2654435761u) >> 7) % lo;
}

static void count(size_t size)
{
	hist[63 - __builtin_clzll(size)]++;
	alloc_bytes += size;
}

__attribute__((noinline)) static void build_peak(void)
{
	for (unsigned int i = 0; i < NBLOCKS; i++) {
		size_t size = block_size(i);

		blocks[i] = malloc(size);
		memset(blocks[i], 1, 16);
		count(size);
		peak_bytes += size;
		if (i % CHUNK == CHUNK - 1)
			pause_ms(40);
	}
	peak_sink += (unsigned long)blocks[NBLOCKS - 1];
}

__attribute__((noinline)) static void free_peak(void)
{
	for (unsigned int i = 0; i < NBLOCKS; i++) {
		free(blocks[i]);
		if (i % (CHUNK * 4) == CHUNK * 4 - 1)
			pause_ms(10);
	}
	peak_sink++;
}

__attribute__((noinline)) static void leak_slowly(void)
{
	for (int i = 0; i < 100; i++) {
		char *p = malloc(1000);

		memset(p, 1, 16);
		count(1000);
		peak_sink += (unsigned long)p;
		pause_ms(10);
	}
}

int main(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!go && !quit)
		pause_ms(10);
	build_peak();
	free_peak();
	leak_slowly();
	printf("peak %llu\nallocated %llu\n", peak_bytes, alloc_bytes);
	for (int k = 0; k < 64; k++)
		if (hist[k])
			printf("hist %d %lu\n", k, hist[k]);
	printf("done\n");
	fflush(stdout);
	while (!quit)
		pause_ms(10);
	return 0;
}
