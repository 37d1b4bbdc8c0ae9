// SPDX-License-Identifier: GPL-2.0-or-later
/* The shared library of tests/targets/gapped, linked like it with 2 MiB segment
 * alignment: ld.so maps its segments over one reservation of its whole span,
 * and leaves inaccessible mappings of the file between them. */

__attribute__((noinline)) unsigned long gap_lib_burn(unsigned long n)
{
	unsigned long s = 1;

	for (unsigned long i = 0; i < n; i++)
		s = s * 31 + (i ^ (s >> 7));
	return s;
}
