// Command testprog is the process of the agent's real-Podman tests. It
// writes what it sees (environment, files, hostname) as JSON to
// $REPORT_DIR/$NAME.json, appends a line to $REPORT_DIR/$NAME.starts per
// start, then exits with $EXIT_CODE or, when it is unset, sleeps until killed.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	dir, name := os.Getenv("REPORT_DIR"), os.Getenv("NAME")
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
		f, err := os.OpenFile(dir+"/"+name+".starts", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		must(err)
		fmt.Fprintln(f, time.Now().Format(time.RFC3339Nano))
		f.Close()
	}
	if code := os.Getenv("EXIT_CODE"); code != "" {
		n, _ := strconv.Atoi(code)
		os.Exit(n)
	}
	for {
		time.Sleep(time.Hour)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
}
