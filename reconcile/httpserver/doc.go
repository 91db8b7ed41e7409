// Package httpserver builds every HTTP server of the product (the API
// server, the agent's log server) with the same timeouts, so that no client
// can hold a connection by sending its headers or body slowly or by never
// reading the answer, and recovers a panicking handler into a 500.
//
// Routes that stream for long (watch, long polls, a followed log) call
// Stream once and Extend before each write: http.ResponseController lifts
// the request's read deadline and moves the write deadline forward per
// write, so a live stream lasts as long as it needs while a stuck reader is
// still cut off after one write timeout.
package httpserver
