// SPDX-License-Identifier: GPL-2.0-or-later
// Without cgo (CGO_ENABLED=0), a static program with no libc and no malloc.

//go:build !cgo

package main

func cAlloc() {}
