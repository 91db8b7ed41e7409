// gotprog is linked as the reconcile binary is (cgo, external linking:
// a RELRO segment holding the GOT): it releases its pages, then calls a
// libc function for the first time, which lazy binding resolves through
// the dynamic linker's entries at the start of the GOT (in the RELRO page),
// and maps new heap arenas (libc's mmap, via the GOT).
// Exit 0: the GOT survived Release (TestReleaseKeepsTheGOT).
package main

/*
#include <unistd.h>
static int parent(void) { return (int)getppid(); }
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"

	"github.com/reconcile-dev/reconcile/reconcile/exepages"
)

func main() {
	n, err := exepages.Release()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ppid := C.parent() // first call: resolved now
	var keep [][]byte
	for range 8 { // 512 MiB: new arenas, so new mmaps
		b := make([]byte, 64<<20)
		b[len(b)-1] = 1
		keep = append(keep, b)
	}
	runtime.KeepAlive(keep)
	fmt.Printf("released %d bytes; then getppid() = %d and 512 MiB mapped\n", n, ppid)
}
