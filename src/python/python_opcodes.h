/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPython's bytecode per minor version, as far as python_globals reads it. */
#ifndef MEMSPY_PYTHON_OPCODES_H
#define MEMSPY_PYTHON_OPCODES_H

#include <stddef.h>
#include <stdint.h>

/* The opcode numbers a module-level container's store is made of, after mapping
 * specialized forms to their base, and the inline cache units after each. */
struct python_opcodes {
	uint32_t version;	  /* major, minor: 0x030b */
	uint8_t store_subscr, load_attr, load_global, extended_arg, load_method; /* 0: none */
	uint8_t load_attr_shift;  /* LOAD_ATTR's name index is arg >> this (3.13+: method bit) */
	const uint8_t (*specialized)[2]; /* specialized opcode, its base */
	size_t nspecialized;
	const uint8_t (*caches)[2];	 /* opcode, its inline cache units */
	size_t ncaches;
};

/* The bytecode of a PY_VERSION_HEX's minor version (3.11, 3.13, 3.14, 3.15), or
 * NULL for another. Static: never freed. */
const struct python_opcodes *python_opcodes_for(uint32_t version);

#endif
