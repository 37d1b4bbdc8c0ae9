// SPDX-License-Identifier: GPL-2.0-or-later
/* A test target with a known peak: after SIGUSR1, build_peak allocates N blocks
 * (200,000 by default) of 32 to 4096 bytes (N/8 in each power of two from 32 B to
 * 4 KiB), all live at once; free_peak frees them; make_temporaries allocates and at once
 * frees 1000 blocks of 100 bytes (temporary allocations), keep_pairs 1000 pairs
 * of 100-byte blocks each freed after the other was allocated (not temporary);
 * then leak_slowly leaks 100 blocks of 1000 bytes over about a second. It prints the peak's bytes, the bytes it allocated
 * and its allocations per power of two, then "done", and waits for SIGTERM.
 *
 *   peak [MS [N]]   pause MS milliseconds after every 1000 blocks of the peak
 *                   (default 0): a run recording every allocation must not outrun
 *                   memspy, which unwinds each one, or the ring buffer drops
 *                   events; N blocks, at most 200,000 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NBLOCKS 200000
#define CHUNK 1000

static volatile sig_atomic_t go, quit;
static long pace_ms;
static unsigned int nblocks = NBLOCKS;
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
	for (unsigned int i = 0; i < nblocks; i++) {
		size_t size = block_size(i);

		blocks[i] = malloc(size);
		memset(blocks[i], 1, 16);
		count(size);
		peak_bytes += size;
		if (pace_ms && i % CHUNK == CHUNK - 1)
			pause_ms(pace_ms);
	}
	peak_sink += (unsigned long)blocks[nblocks - 1];
}

__attribute__((noinline)) static void free_peak(void)
{
	for (unsigned int i = 0; i < nblocks; i++) {
		free(blocks[i]);
		if (pace_ms && i % (CHUNK * 8) == CHUNK * 8 - 1)
			pause_ms(pace_ms);
	}
	peak_sink++;
}

__attribute__((noinline)) static void make_temporaries(void)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc(100);

		memset(p, 1, 100);
		peak_sink += (unsigned long)p; /* escapes: the pair cannot be elided */
		free(p);
		count(100);
	}
}

__attribute__((noinline)) static void keep_pairs(void)
{
	for (int i = 0; i < 1000; i++) {
		char *a = malloc(100), *b = malloc(100);

		memset(a, 1, 100);
		memset(b, 2, 100);
		peak_sink += (unsigned long)a + (unsigned long)b;
		free(a);
		free(b);
		count(100);
		count(100);
		if (i % 100 == 99)
			pause_ms(5);
	}
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

int main(int argc, char **argv)
{
	struct sigaction sa = {0};

	pace_ms = argc > 1 ? atol(argv[1]) : 0;
	if (argc > 2 && atol(argv[2]) > 0 && atol(argv[2]) <= NBLOCKS)
		nblocks = (unsigned int)atol(argv[2]);
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
	make_temporaries();
	keep_pairs();
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
