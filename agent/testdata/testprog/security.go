package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// security is `testprog security [write:PATH|read:PATH]... [exit]`: it prints
// the process's identity and kernel security state (a FROM scratch image has
// no id or cat), one fact a line, then sleeps until SIGTERM (exits 0 at once
// with a last argument "exit"):
//
//	uid=1000 gid=3000 groups=2000,4000
//	CapEff:	0000000000001000      (the lines of /proc/self/status that matter)
//	write PATH: ok gid=2000         (or: write PATH: error: …)
//	read PATH: 42 bytes: first line
func security(args []string) {
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	groups, _ := os.Getgroups()
	var gs []string
	for _, g := range groups {
		gs = append(gs, fmt.Sprint(g))
	}
	fmt.Printf("uid=%d gid=%d groups=%s\n", os.Getuid(), os.Getgid(), strings.Join(gs, ","))
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			for _, key := range []string{"CapEff:", "CapBnd:", "NoNewPrivs:", "Seccomp:"} {
				if strings.HasPrefix(line, key) {
					fmt.Println(line)
				}
			}
		}
	}
	for _, a := range args {
		switch op, path, _ := strings.Cut(a, ":"); op {
		case "write":
			if err := os.WriteFile(path, []byte("written\n"), 0o644); err != nil {
				fmt.Printf("write %s: error: %v\n", path, err)
				continue
			}
			fi, err := os.Stat(path)
			if err != nil {
				fmt.Printf("write %s: error: %v\n", path, err)
				continue
			}
			fmt.Printf("write %s: ok gid=%d\n", path, fi.Sys().(*syscall.Stat_t).Gid)
		case "read":
			b, err := os.ReadFile(path)
			if err != nil {
				fmt.Printf("read %s: error: %v\n", path, err)
				continue
			}
			first, _, _ := strings.Cut(string(b), "\n")
			fmt.Printf("read %s: %d bytes: %s\n", path, len(b), first)
		}
	}
	fmt.Println("security: done")
	if len(args) > 0 && args[len(args)-1] == "exit" { // an init container's run
		os.Exit(0)
	}
	<-terms
	os.Exit(0)
}
