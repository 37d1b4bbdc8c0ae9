/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark driver of symbolize_speed.sh: symbolizes every address of an address
 * file (names, inline chains, file:line) with memspy's symbolizer in this fresh
 * process and prints the wall time. Usage: symbolize_driver MODULE BASE ADDRS
 * [MODULE BASE ADDRS]... ; ADDRS holds file addresses in hex, one a line, looked
 * up at BASE + address. With -p, prints what addr2line -f -i would print: for
 * each address its function names and file:line, innermost first. With -c,
 * symbolizes each address also with libdw's dwarf_getscopes per address (the
 * slow reference path) and reports every address where the two differ. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "symbolize/target_dwfl.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_loc(uint64_t a, const struct frame_loc *loc, size_t n)
{
	printf("0x%016llx\n", (unsigned long long)a);
	for (size_t k = n; k-- > 0;)
		printf("%s\n%s:%u\n", loc[k].name, loc[k].file ? loc[k].file : "??", loc[k].line);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Whether the indexed and the scanning symbolizer agree on an address. */
static bool same_locs(const struct frame_loc *a, size_t na, const struct frame_loc *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t k = 0; k < na; k++)
		if (!same_str(a[k].name, b[k].name) || !same_str(a[k].file, b[k].file) ||
		    a[k].line != b[k].line || a[k].column != b[k].column ||
		    a[k].inlined != b[k].inlined)
			return false;
	return true;
}

int main(int argc, char **argv)
{
	int print = argc > 1 && !strcmp(argv[1], "-p");
	int compare = argc > 1 && !strcmp(argv[1], "-c");
	int first = 1 + print + compare;
	size_t total = 0, levels = 0, named = 0, lined = 0, differ = 0;
	struct target_dwfl *ref = NULL;

	if (argc < first + 3 || (argc - first) % 3) {
		fprintf(stderr, "usage: %s [-p|-c] MODULE BASE ADDRS...\n", argv[0]);
		return 2;
	}
	double t0 = now();
	struct target_dwfl *t = target_dwfl__open_offline();
	if (!t)
		return 1;
	if (compare) {
		ref = target_dwfl__open_offline();
		if (!ref)
			return 1;
		target_dwfl__scan_scopes(ref, true);
	}
	for (int i = first; i < argc; i += 3) {
		uint64_t base = strtoull(argv[i + 1], NULL, 0);
		int err = target_dwfl__report_elf(t, argv[i], base);
		if (!err && ref)
			err = target_dwfl__report_elf(ref, argv[i], base);
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
			struct frame_loc loc[32], rloc[32];
			size_t n = target_dwfl__symbolize_loc(t, base + a, loc, 32);
			total++;
			levels += n;
			named += loc[0].name[0] != '[';
			lined += n && loc[n - 1].line;
			if (print)
				print_loc(a, loc, n);
			if (ref) {
				size_t rn = target_dwfl__symbolize_loc(ref, base + a, rloc, 32);
				if (!same_locs(loc, n, rloc, rn)) {
					if (differ++ < 20) {
						printf("differ: %s ", argv[i]);
						print_loc(a, loc, n);
						printf("reference:\n");
						print_loc(a, rloc, rn);
					}
				}
			}
		}
		fclose(f);
	}
	double t1 = now();
	target_dwfl__free(t);
	target_dwfl__free(ref);
	fprintf(stderr, "memspy: %zu addresses, %zu levels, %zu named, %zu with a line: %.3f s\n",
		total, levels, named, lined, t1 - t0);
	if (compare) {
		printf("%zu of %zu addresses differ between the index and dwarf_getscopes\n",
		       differ, total);
		return differ != 0;
	}
	if (!print)
		printf("%.6f\n", t1 - t0);
	return 0;
}
