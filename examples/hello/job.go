package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// jobMain is `hello job [INDEX=CODE[@SLEEP] ...]`, the work of a Job's pod
// in the end-to-end tests: it prints its JOB_COMPLETION_INDEX and hostname,
// then sleeps and exits as the argument for its index says ("*" for any
// other index; default: exit 0 at once). "1=42" makes index 1 exit with
// 42; "*=0@10m" keeps the others running for ten minutes.
func jobMain(args []string) int {
	index := os.Getenv("JOB_COMPLETION_INDEX")
	host, _ := os.Hostname()
	fmt.Printf("JOB_COMPLETION_INDEX=%s hostname=%s\n", index, host)
	code, sleep := 0, time.Duration(0)
	for _, want := range []string{index, "*"} {
		if rule, ok := jobRule(args, want); ok {
			code, sleep = rule.code, rule.sleep
			break
		}
	}
	time.Sleep(sleep)
	fmt.Printf("exiting with code %d\n", code)
	return code
}

type jobExit struct {
	code  int
	sleep time.Duration
}

func jobRule(args []string, index string) (jobExit, bool) {
	for _, a := range args {
		key, val, ok := strings.Cut(a, "=")
		if !ok || key != index {
			continue
		}
		codeText, sleepText, hasSleep := strings.Cut(val, "@")
		code, err := strconv.Atoi(codeText)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hello job: %q: the exit code is not a number\n", a)
			return jobExit{code: 2}, true
		}
		var sleep time.Duration
		if hasSleep {
			if sleep, err = time.ParseDuration(sleepText); err != nil {
				fmt.Fprintf(os.Stderr, "hello job: %q: %v\n", a, err)
				return jobExit{code: 2}, true
			}
		}
		return jobExit{code, sleep}, true
	}
	return jobExit{}, false
}
