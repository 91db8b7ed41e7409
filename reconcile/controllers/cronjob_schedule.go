package controllers

import (
	"time"

	"github.com/reconcile-dev/reconcile/schema/cron"
)

// Schedule is a parsed CronJob schedule (package schema/cron, which reads
// it with github.com/robfig/cron/v3 as Kubernetes does; the validator
// checks schedules with the same parser, so one that reaches the
// controller parses).
type Schedule = cron.Schedule

// ParseSchedule parses spec in the zone named timeZone ("" = a CRON_TZ= or
// TZ= prefix of spec, else loc).
func ParseSchedule(spec, timeZone string, loc *time.Location) (*Schedule, error) {
	return cron.Parse(spec, timeZone, loc)
}
