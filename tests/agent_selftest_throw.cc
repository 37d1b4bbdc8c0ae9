// SPDX-License-Identifier: GPL-2.0-or-later
/* For the agent's self-test: an operator new that fails must throw std::bad_alloc
 * through the agent's hook into the caller's handler (the hook leaves no frame
 * the unwinder would have to cross). */
#include <cstddef>
#include <new>

/* the block escapes here, or the compiler may drop the new and delete pair */
char *volatile agent_selftest_block;

extern "C" int agent_selftest_throws(void)
{
	volatile std::size_t huge = std::size_t(1) << 60;

	try {
		agent_selftest_block = new char[huge];
		delete[] agent_selftest_block;
	} catch (const std::bad_alloc &) {
		return 1;
	}
	return 0;
}
