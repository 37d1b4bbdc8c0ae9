// SPDX-License-Identifier: GPL-2.0-or-later
/* A CPU test target linked so that its mappings have gaps (Makefile.am: non-PIE,
 * 2 MiB segment alignment, code in a segment of its own): its text is mapped at
 * 0x600000 from file offset 0x200000, nothing between it and its headers at
 * 0x400000. Its library libgapped.so is linked the same way. Burns CPU in main ->
 * gap_outer -> gap_inner and in main -> gap_outer -> gap_lib_burn (the library)
 * until SIGTERM. */
#include <signal.h>
#include <stdio.h>

unsigned long gap_lib_burn(unsigned long n);

static volatile sig_atomic_t quit;
volatile unsigned long gap_sink;
volatile unsigned long gap_rounds = 100000; /* read, so no constant-propagated clone */

static void on_term(int sig)
{
	quit = 1;
}

__attribute__((noinline)) static unsigned long gap_inner(unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += i * i ^ (s >> 3);
	return s;
}

/* Not a tail call: gap_outer stays on the stack. */
__attribute__((noinline)) static void gap_outer(void)
{
	gap_sink += gap_inner(gap_rounds);
	gap_sink += gap_lib_burn(gap_rounds);
	gap_sink++;
}

int main(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!quit)
		gap_outer();
	return 0;
}
