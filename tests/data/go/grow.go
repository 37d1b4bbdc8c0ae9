// SPDX-License-Identifier: GPL-2.0-or-later
// A Go program whose Go heap grows (tests/integration/attach_go.sh): grow keeps
// 64 KiB slices in a global, 1 MiB every 0.1 s, and cAlloc keeps a block from C's
// malloc when cgo links libc. Prints "ready PID" once running.
package main

import (
	"fmt"
	"os"
	"time"
)

var kept [][]byte

//go:noinline
func grow() {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(i) // touch every page: new pages, not just address space
	}
	kept = append(kept, b)
}

func main() {
	fmt.Println("ready", os.Getpid())
	for {
		for i := 0; i < 16; i++ {
			grow()
		}
		cAlloc()
		time.Sleep(100 * time.Millisecond)
	}
}
