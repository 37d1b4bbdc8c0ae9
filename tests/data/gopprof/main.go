// SPDX-License-Identifier: GPL-2.0-or-later
// Writes the profiles Go's runtime/pprof makes (tests/integration/flamegraph_pprof.sh):
// a CPU profile of spin to the second argument, then a heap profile, every
// allocation recorded, of allocate's 64 KiB slices to the first.
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

var keep [][]byte

//go:noinline
func allocate(n int) {
	for i := 0; i < n; i++ {
		keep = append(keep, make([]byte, 64<<10))
	}
}

//go:noinline
func spin(d time.Duration) int {
	s := 0
	for start := time.Now(); time.Since(start) < d; {
		for i := 0; i < 100000; i++ {
			s += i * i % 7
		}
	}
	return s
}

func main() {
	runtime.MemProfileRate = 1
	c, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(c); err != nil {
		panic(err)
	}
	s := spin(500 * time.Millisecond)
	pprof.StopCPUProfile()
	c.Close()
	allocate(100)
	runtime.GC()
	h, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.WriteHeapProfile(h); err != nil {
		panic(err)
	}
	h.Close()
	if s == 42 {
		println(s)
	}
}
