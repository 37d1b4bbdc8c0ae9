/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Target of memspy dump's tests: named threads that wait in known places (a
 * pthread mutex, nanosleep, a socket read, epoll_wait) and one that spins, each
 * in a function of its own, so a dump can be checked frame by frame. With
 * "--clocks N" N more threads loop on clock_gettime and record the longest gap
 * they saw (a pause of the process). It prints "ready" once every thread waits,
 * at SIGUSR1 the longest gap since the last report ("gap_us N"), and at SIGTERM
 * the longest gap overall ("max_gap_us N"); it exits 1 if epoll_wait
 * ever returned EINTR (something interrupted the process), unless
 * "--eintr-ok" was given. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
/* keeps a call from being a tail call, so the caller's frame stays on the stack */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int sock[2], pipefd[2];
static atomic_int started, eintrs;
static atomic_long max_gap_ns, window_gap_ns;
static volatile unsigned long spins;

NOINLINE static void wait_on_mutex(void)
{
	atomic_fetch_add(&started, 1);
	pthread_mutex_lock(&held);
	KEEP_FRAME();
	pthread_mutex_unlock(&held);
}

NOINLINE static void sleep_in_nanosleep(void)
{
	struct timespec ts = {3600, 0};

	atomic_fetch_add(&started, 1);
	for (;;) {
		nanosleep(&ts, NULL);
		KEEP_FRAME();
	}
}

NOINLINE static void read_socket(void)
{
	char buf[64];

	atomic_fetch_add(&started, 1);
	while (read(sock[1], buf, sizeof(buf)) != 0)
		KEEP_FRAME();
}

NOINLINE static void wait_in_epoll(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int ep = epoll_create1(0);

	epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
	atomic_fetch_add(&started, 1);
	for (;;) {
		int n = epoll_wait(ep, &out, 1, -1);
		if (n < 0 && errno == EINTR)
			atomic_fetch_add(&eintrs, 1);
		KEEP_FRAME();
	}
}

NOINLINE static void spin_forever(void)
{
	atomic_fetch_add(&started, 1);
	for (;;)
		spins++;
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Short naps between reads, so the gaps seen are pauses, not the other threads'
 * turns on the two CPUs: a thread that sleeps 200 us and wakes late by more than
 * a scheduler slice was held. */
NOINLINE static void watch_clock(void)
{
	struct timespec nap = {0, 200000};
	long last = now_ns();

	atomic_fetch_add(&started, 1);
	for (;;) {
		nanosleep(&nap, NULL);
		long t = now_ns(), gap = t - last - nap.tv_nsec;
		if (gap > atomic_load(&max_gap_ns))
			atomic_store(&max_gap_ns, gap);
		if (gap > atomic_load(&window_gap_ns))
			atomic_store(&window_gap_ns, gap);
		last = t;
	}
}

struct role {
	const char *name;
	void (*fn)(void);
};

static void *thread_main(void *arg)
{
	const struct role *r = arg;

	pthread_setname_np(pthread_self(), r->name);
	r->fn();
	return NULL;
}

static const struct role roles[] = {
	{"w-mutex", wait_on_mutex},	{"w-sleep", sleep_in_nanosleep},
	{"w-socket", read_socket},	{"w-epoll", wait_in_epoll},
	{"w-busy", spin_forever},
};

int main(int argc, char **argv)
{
	static struct role clock_role = {"w-clock", watch_clock};
	int clocks = 0, eintr_ok = 0, nr = sizeof(roles) / sizeof(roles[0]), sig;
	pthread_t t;
	sigset_t set;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--clocks") && i + 1 < argc)
			clocks = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--eintr-ok"))
			eintr_ok = 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_mutex_lock(&held);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock) || pipe(pipefd))
		return 2;
	for (int i = 0; i < nr; i++)
		pthread_create(&t, NULL, thread_main, (void *)&roles[i]);
	for (int i = 0; i < clocks; i++)
		pthread_create(&t, NULL, thread_main, &clock_role);
	while (atomic_load(&started) < nr + clocks)
		usleep(1000);
	usleep(20000); /* each thread is in its call by now */
	atomic_store(&max_gap_ns, 0);
	atomic_store(&window_gap_ns, 0);
	printf("ready\n");
	fflush(stdout);
	while (!sigwait(&set, &sig) && sig == SIGUSR1) {
		printf("gap_us %ld\n", atomic_exchange(&window_gap_ns, 0) / 1000);
		fflush(stdout);
	}
	printf("max_gap_us %ld\neintr %d\n", atomic_load(&max_gap_ns) / 1000,
	       atomic_load(&eintrs));
	fflush(stdout);
	return atomic_load(&eintrs) && !eintr_ok ? 1 : 0;
}
