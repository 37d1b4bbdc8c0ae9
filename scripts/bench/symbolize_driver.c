/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark driver of symbolize_speed.sh: symbolizes every address of an address
 * file (names, inline chains, file:line) with memspy's symbolizer in this fresh
 * process and prints the wall time. Usage: symbolize_driver MODULE BASE ADDRS
 * [MODULE BASE ADDRS]... ; ADDRS holds file addresses in hex, one a line, looked
 * up at BASE + address. With -p, prints what addr2line -f -i would print. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target_dwfl.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int print = argc > 1 && !strcmp(argv[1], "-p");
	int first = 1 + print;
	size_t total = 0, levels = 0, named = 0, lined = 0;

	if (argc < first + 3 || (argc - first) % 3) {
		fprintf(stderr, "usage: %s [-p] MODULE BASE ADDRS...\n", argv[0]);
		return 2;
	}
	double t0 = now();
	struct target_dwfl *t = target_dwfl__open_offline();
	if (!t)
		return 1;
	for (int i = first; i < argc; i += 3) {
		uint64_t base = strtoull(argv[i + 1], NULL, 0);
		int err = target_dwfl__report_elf(t, argv[i], base);
		if (err) {
			fprintf(stderr, "cannot report %s: %s\n", argv[i], strerror(-err));
			return 1;
		}
		FILE *f = fopen(argv[i + 2], "r");
		if (!f) {
			perror(argv[i + 2]);
			return 1;
		}
		unsigned long long a;
		while (fscanf(f, "%llx", &a) == 1) {
			struct frame_loc loc[32];
			size_t n = target_dwfl__symbolize_loc(t, base + a, loc, 32);
			total++;
			levels += n;
			named += loc[0].name[0] != '[';
			lined += n && loc[n - 1].line;
			if (print)
				for (size_t k = n; k-- > 0;)
					printf("%s\n%s:%u\n", loc[k].name, loc[k].file ? loc[k].file : "??",
					       loc[k].line);
		}
		fclose(f);
	}
	double t1 = now();
	target_dwfl__free(t);
	fprintf(stderr, "memspy: %zu addresses, %zu levels, %zu named, %zu with a line: %.3f s\n",
		total, levels, named, lined, t1 - t0);
	printf("%.6f\n", t1 - t0);
	return 0;
}
