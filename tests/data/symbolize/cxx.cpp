// SPDX-License-Identifier: GPL-2.0-or-later
// Symbolization test target in C++: a member function of a class template in a
// namespace, and an inlined method. Prints its addresses, waits for stdin EOF.
#include <cstdio>
#include <unistd.h>

extern "C" {
void *volatile sym_sink;
__attribute__((noinline)) void probe_point(void)
{
	sym_sink = __builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}
}

namespace shapes {
template <typename T> struct Box {
	T v;
	inline __attribute__((always_inline)) T touch(T d)
	{
		probe_point(); // MARK:touch
		return v + d;
	}
	__attribute__((noinline)) T poke(T d);
};

template <typename T> T Box<T>::poke(T d)
{
	return touch(d) * 2; // MARK:poke
}
} // namespace shapes

int main(int argc, char **argv)
{
	shapes::Box<int> b{argc};
	int r = b.poke(3);
	char c;

	std::printf("pc %lx\nready\n", (unsigned long)sym_sink - 1);
	std::fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return r == 12345;
}
