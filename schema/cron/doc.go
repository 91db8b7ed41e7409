// Package cron reads CronJob schedules as Kubernetes does: with
// github.com/robfig/cron/v3's standard parser (five fields minute hour
// day-of-month month day-of-week, names, ranges, steps, lists, and the
// descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly and @every DURATION), an optional CRON_TZ= or TZ= prefix, and the
// CronJob's spec.timeZone.
//
// The schema package calls Parse when a tree is validated, so a schedule
// that the controller could not run is refused at its file:line:col; the
// CronJob controller calls it again to compute the next run. Pure: no I/O
// beyond the embedded time zone database.
package cron
