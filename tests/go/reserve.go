// A Go program with a 300 MiB heap and goroutines asleep: its runtime
// reserves address space PROT_NONE (arenas, their indexes), and its
// threads' stack pointers lie in the heap (goroutine and g0 stacks).
// Usage: reserve READYFILE. Writes "heap=0xADDR" and "ready".
package main

import (
	"fmt"
	"os"
	"time"
)

var sink [][]byte

func main() {
	for i := 0; i < 300; i++ {
		sink = append(sink, make([]byte, 1<<20))
	}
	for i := 0; i < 4; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	f, err := os.OpenFile(os.Args[1], os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0644)
	if err != nil {
		os.Exit(99)
	}
	fmt.Fprintf(f, "heap=%p\nready\n", &sink[0][0])
	f.Close()
	time.Sleep(time.Hour)
}
