// SPDX-License-Identifier: GPL-2.0-or-later
/* A test target that loads a library once memspy is attached. It prints "ready",
 * waits for SIGUSR1, dlopen()s LIB, prints "loaded", waits 3 seconds (the time
 * memspy takes to notice a new library), then leaks 16 MiB in 4 KiB blocks
 * through the library's dl_leak, prints "done" and waits for SIGTERM.
 *   dlopener LIB */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static volatile sig_atomic_t go, quit;
void *volatile sink;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		quit = 1;
}

/* nanosleep, not pause(): memspy's injector borrows a thread only where the
 * interruption is invisible to the program */
static void nap(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};

	if (argc < 2) {
		fprintf(stderr, "usage: dlopener LIB\n");
		return 2;
	}
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!go && !quit)
		nap(10);
	void *lib = dlopen(argv[1], RTLD_NOW);
	void *(*leak)(size_t) = lib ? (void *(*)(size_t))dlsym(lib, "dl_leak") : NULL;
	if (!leak) {
		fprintf(stderr, "dlopener: %s\n", dlerror());
		return 1;
	}
	printf("loaded\n");
	fflush(stdout);
	nap(3000);
	for (int i = 0; i < 4096; i++)
		sink = leak(4096);
	printf("done\n");
	fflush(stdout);
	while (!quit)
		nap(10);
	return 0;
}
