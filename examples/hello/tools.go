package main

import (
	"fmt"
	"os"
)

// The image is FROM scratch: no shell, no coreutils. These subcommands
// stand in for the few a person (or an end-to-end test) runs through
// `podman exec` to look at a container's files:
//
//	hello cat FILE...     print the files
//	hello stat FILE...    print "<octal mode> <size> FILE" per file (links followed)
//	hello write FILE TEXT write TEXT to FILE (fails on a read-only mount)
func runTool(args []string) (code int, ran bool) {
	if len(args) < 2 {
		return 0, false
	}
	switch args[0] {
	case "cat":
		for _, f := range args[1:] {
			b, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(os.Stderr, "cat:", err)
				return 1, true
			}
			os.Stdout.Write(b)
		}
		return 0, true
	case "stat":
		for _, f := range args[1:] {
			fi, err := os.Stat(f)
			if err != nil {
				fmt.Fprintln(os.Stderr, "stat:", err)
				return 1, true
			}
			fmt.Printf("%04o %d %s\n", fi.Mode().Perm(), fi.Size(), f)
		}
		return 0, true
	case "write":
		if len(args) != 3 {
			fmt.Fprintln(os.Stderr, "usage: hello write FILE TEXT")
			return 2, true
		}
		if err := os.WriteFile(args[1], []byte(args[2]), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
