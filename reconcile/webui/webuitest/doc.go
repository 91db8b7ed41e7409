// Package webuitest drives the web UI in a real headless Chromium (Debian's
// chromium package, through github.com/chromedp/chromedp) for the
// end-to-end test and the overview benchmark: one browser start with the
// flags a closed network needs, a record of console errors and uncaught
// exceptions, screenshots to a directory a person can look at, and waits
// on the pages' data-ready marker.
package webuitest
