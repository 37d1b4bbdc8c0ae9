// SPDX-License-Identifier: GPL-2.0-or-later
// With cgo, the program links libc and allocates through its malloc too.
package main

// #include <stdlib.h>
// #include <string.h>
// static void *c_alloc(size_t n) { void *p = malloc(n); if (p) memset(p, 1, n); return p; }
import "C"

import "unsafe"

var cKept []unsafe.Pointer

//go:noinline
func cAlloc() {
	cKept = append(cKept, C.c_alloc(256<<10))
}
