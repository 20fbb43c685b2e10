// Target for backtraces of a Go program (no .eh_frame: its unwind
// information is in .debug_frame): goroutines parked three calls deep,
// the runtime's threads idle. Usage: gostacks READYFILE. Writes "ready"
// when its goroutines are parked, then waits until killed.
package main

import (
	"os"
	"runtime"
	"time"
)

//go:noinline
func level3(ch chan int) { <-ch }

//go:noinline
func level2(ch chan int) { level3(ch) }

//go:noinline
func level1(ch chan int) { level2(ch) }

func main() {
	if len(os.Args) != 2 {
		os.Exit(2)
	}
	ch := make(chan int)
	// A sleeping goroutine: with a timer pending the runtime does not
	// call the parked ones a deadlock.
	go time.Sleep(1000 * time.Hour)
	for i := 0; i < 4; i++ {
		go level1(ch)
	}
	for runtime.NumGoroutine() < 6 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if err := os.WriteFile(os.Args[1]+".tmp", []byte("ready\n"), 0644); err != nil {
		os.Exit(1)
	}
	if err := os.Rename(os.Args[1]+".tmp", os.Args[1]); err != nil {
		os.Exit(1)
	}
	level1(ch)
}
