// SPDX-License-Identifier: GPL-2.0-or-later
/* The image tests/inject_probe maps into a running process, built the way the
 * in-process agent is (payload.lds): freestanding, no relocation, one R+X
 * segment from the file and one zero-filled RW segment. */
#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN unsigned long long payload_word;	 /* written by payload_store */
HIDDEN unsigned long long payload_calls; /* payload_store calls */
HIDDEN long payload_pid;		 /* written by payload_getpid */

/* Leaves a word derived from arg where memspy reads it. */
HIDDEN void payload_store(unsigned long long arg)
{
	payload_word = arg ^ 0x5a5a5a5a5a5a5a5aull;
	payload_calls++;
}

/* Makes a system call of its own, as the agent's mprotect does. */
HIDDEN void payload_getpid(unsigned long long arg)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(39L) : "rcx", "r11", "memory");
	payload_pid = ret + (long)arg;
}

/* Never returns: for the call timeout. */
HIDDEN void payload_spin(unsigned long long arg)
{
	volatile unsigned long long n = arg;

	for (;;)
		n++;
}
