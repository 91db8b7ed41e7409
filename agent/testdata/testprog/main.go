// Command testprog is the process of the agent's real-Podman tests. It
// writes what it sees (environment, files, hostname) as JSON to
// $REPORT_DIR/$NAME.json, appends a line to $REPORT_DIR/$NAME.starts per
// start, prints "started $NAME" to stdout, then exits with $EXIT_CODE or,
// when it is unset, sleeps until killed.
//
// Other behaviours, by environment: ALLOC_MB allocates and touches that many
// MiB (to hit a memory limit); BURN_CPU=N keeps N goroutines busy (the
// autoscaler's load); TERMINATION_MESSAGE is written to
// /dev/termination-log before exiting; on SIGTERM a line is appended to
// $REPORT_DIR/$NAME.sigterm and the process exits 0, unless IGNORE_SIGTERM
// is set (then only SIGKILL ends it).
//
// `testprog check FILE` exits 0 when FILE exists and 1 otherwise: the
// command of exec probes in a FROM scratch image. `testprog touch FILE`
// writes the time to FILE: the command of lifecycle hooks. `testprog
// security …` prints the user, groups and kernel security state (security.go).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "security" { // security.go
		security(os.Args[2:])
	}
	if len(os.Args) == 3 && os.Args[1] == "touch" { // lifecycle hooks' command
		must(os.WriteFile(os.Args[2], []byte(time.Now().Format(time.RFC3339Nano)+"\n"), 0o644))
		os.Exit(0)
	}
	if len(os.Args) == 3 && os.Args[1] == "check" {
		if _, err := os.Stat(os.Args[2]); err != nil {
			fmt.Println("check:", err)
			os.Exit(1)
		}
		fmt.Println("check: ok")
		os.Exit(0)
	}
	dir, name := os.Getenv("REPORT_DIR"), os.Getenv("NAME")
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	if dir != "" && name != "" {
		report := map[string]any{"env": os.Environ(), "args": os.Args}
		files := map[string]string{}
		for _, f := range strings.Split(os.Getenv("FILES"), ",") {
			if f == "" {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				files[f] = "ERROR: " + err.Error()
			} else {
				files[f] = string(b)
			}
		}
		report["files"] = files
		report["hostname"], _ = os.Hostname()
		report["cwd"], _ = os.Getwd()
		b, _ := json.Marshal(report)
		must(os.WriteFile(dir+"/"+name+".json.tmp", b, 0o644))
		must(os.Rename(dir+"/"+name+".json.tmp", dir+"/"+name+".json"))
		appendLine(dir+"/"+name+".starts", time.Now().Format(time.RFC3339Nano))
	}
	fmt.Printf("started %s\n", name)
	if n, _ := strconv.Atoi(os.Getenv("BURN_CPU")); n > 0 {
		for range n {
			go burn()
		}
		fmt.Printf("burning %d CPU(s)\n", n)
	}
	if mb, _ := strconv.Atoi(os.Getenv("ALLOC_MB")); mb > 0 {
		var hog [][]byte
		for i := 0; i < mb; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			hog = append(hog, b)
		}
		fmt.Printf("allocated %d MiB\n", len(hog))
	}
	if code := os.Getenv("EXIT_CODE"); code != "" {
		n, _ := strconv.Atoi(code)
		if msg := os.Getenv("TERMINATION_MESSAGE"); msg != "" {
			os.WriteFile("/dev/termination-log", []byte(msg), 0o644)
		}
		fmt.Fprintf(os.Stderr, "exiting with %d\n", n)
		os.Exit(n)
	}
	for range terms {
		fmt.Println("got SIGTERM")
		if dir != "" && name != "" {
			appendLine(dir+"/"+name+".sigterm", time.Now().Format(time.RFC3339Nano))
		}
		if os.Getenv("IGNORE_SIGTERM") == "" {
			os.Exit(0)
		}
	}
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	must(err)
	fmt.Fprintln(f, line)
	f.Close()
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
}

// burn spins until the process ends.
func burn() {
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1442695040888963407
		if x == 0 {
			fmt.Println(x)
		}
	}
}
