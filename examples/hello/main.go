// Command hello is the demo image of reconcile: a static HTTP server that
// answers with its hostname, its version and a value from its config, so a
// person can see which pod answered and which release it runs.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=v2".
var version = "dev"

func main() {
	addr := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s version=%s greeting=%q\n", host, version, greeting())
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("hello %s listening on %s", version, *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// greeting reads GREETING from the environment, or the file named by
// GREETING_FILE (a mounted ConfigMap key), so both ways of passing config work.
func greeting() string {
	if f := os.Getenv("GREETING_FILE"); f != "" {
		if b, err := os.ReadFile(f); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return os.Getenv("GREETING")
}
