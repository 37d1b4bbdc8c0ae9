// SPDX-License-Identifier: GPL-2.0-or-later
/* memspy_rss.sh's target: after "ready" and WAIT seconds, N blocks of 32 bytes,
 * allocated a thousand at a time with a millisecond between, all kept.
 *   live_blocks N WAIT */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	unsigned wait = argc > 2 ? (unsigned)atoi(argv[2]) : 6;
	void **keep = malloc((size_t)n * sizeof(*keep));

	if (!keep)
		return 1;
	printf("ready\n");
	fflush(stdout);
	sleep(wait);
	for (long i = 0; i < n; i++) {
		keep[i] = malloc(32);
		if (i % 1000 == 999)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	printf("held %ld\n", n);
	fflush(stdout);
	pause();
	return 0;
}
