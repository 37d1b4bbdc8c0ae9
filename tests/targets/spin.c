// SPDX-License-Identifier: GPL-2.0-or-later
/* A CPU test target: one thread that never sleeps, so it uses one CPU, 100% of
 * its time (as much as the machine gives it). Runs until SIGTERM. */
#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t quit;
volatile unsigned long spin_sink;

static void on_term(int sig)
{
	quit = 1;
}

__attribute__((noinline)) static void spin(void)
{
	while (!quit)
		spin_sink++;
}

int main(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	spin();
	return 0;
}
