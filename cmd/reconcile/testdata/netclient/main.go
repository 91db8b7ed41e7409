// Command netclient is the client pod of the network end-to-end tests: a
// static binary for a FROM scratch image, run with `podman exec` inside a
// pod so every lookup and request starts in the pod's own network
// namespace with the pod's resolv.conf.
//
//	netclient                 wait for SIGTERM (the container's main process)
//	netclient get URL [N]     GET URL N times on new connections, print each body
//	netclient resolve NAME    print NAME's addresses (the pod's search path applies)
//	netclient srv NAME        print NAME's SRV records
//	netclient env             print the environment
//	netclient serve           answer HTTP on :8080 with the caller's address
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		s := make(chan os.Signal, 1)
		signal.Notify(s, syscall.SIGTERM, syscall.SIGINT)
		<-s
		return
	}
	var err error
	switch os.Args[1] {
	case "get":
		n := 1
		if len(os.Args) > 3 {
			n, _ = strconv.Atoi(os.Args[3])
		}
		err = get(os.Args[2], n)
	case "resolve":
		var addrs []string
		if addrs, err = net.LookupHost(os.Args[2]); err == nil {
			sort.Strings(addrs)
			fmt.Println(strings.Join(addrs, " "))
		}
	case "srv":
		var recs []*net.SRV
		if _, recs, err = net.LookupSRV("", "", os.Args[2]); err == nil {
			for _, r := range recs {
				fmt.Printf("%s %d\n", r.Target, r.Port)
			}
		}
	case "serve":
		err = http.ListenAndServe(":8080", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			fmt.Fprintln(w, host)
		}))
	case "env":
		for _, e := range os.Environ() {
			fmt.Println(e)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netclient:", err)
		os.Exit(1)
	}
}

func get(url string, n int) error {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < n; i++ {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Print(string(b))
	}
	return nil
}
