package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// testClockEnv makes the clock of the Job and CronJob controllers start at
// a given time and run faster than real time, so an end-to-end test can see
// a CronJob fire every minute within seconds (node heartbeats and
// everything else keep real time). TEST ONLY: it is not a flag, not in --help,
// and `up`/`controller` log a warning when it is set. Format:
// "<RFC3339 start>,<speed>", e.g. "2030-01-01T00:00:50Z,60"; an empty
// start means now.
const testClockEnv = "RECONCILE_TEST_CLOCK"

// testClock returns the clock named by RECONCILE_TEST_CLOCK (nil when it
// is not set) and the resync period that goes with it.
func testClock() (now func() time.Time, resync time.Duration, err error) {
	v := os.Getenv(testClockEnv)
	if v == "" {
		return nil, 0, nil
	}
	startS, speedS, _ := strings.Cut(v, ",")
	start := time.Now()
	if startS != "" {
		if start, err = time.Parse(time.RFC3339, startS); err != nil {
			return nil, 0, fmt.Errorf("%s=%q: the start is not RFC3339 (e.g. 2030-01-01T00:00:50Z): %v", testClockEnv, v, err)
		}
	}
	speed := 1.0
	if speedS != "" {
		if speed, err = strconv.ParseFloat(speedS, 64); err != nil || speed <= 0 {
			return nil, 0, fmt.Errorf("%s=%q: the speed must be a positive number (e.g. 60)", testClockEnv, v)
		}
	}
	return fastClock(start, speed, time.Now), time.Duration(float64(10*time.Second) / speed), nil
}

// fastClock runs from start at speed times the pace of real.
func fastClock(start time.Time, speed float64, real func() time.Time) func() time.Time {
	origin := real()
	return func() time.Time {
		return start.Add(time.Duration(float64(real().Sub(origin)) * speed))
	}
}
