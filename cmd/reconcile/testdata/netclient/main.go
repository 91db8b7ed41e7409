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
//	netclient serve [PORT]    answer HTTP on PORT (8080) with the caller's address
//	netclient cat FILE        print FILE
//	netclient readlink PATH   print the link's target (e.g. /proc/self/ns/ipc)
//	netclient ifaces          print each interface with its addresses
//	netclient ps              print "PID CMDLINE" of every process it sees in /proc
//	netclient hostname        print the hostname
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
		port := "8080"
		if len(os.Args) > 2 {
			port = os.Args[2]
		}
		err = http.ListenAndServe(":"+port, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			fmt.Fprintln(w, host)
		}))
	case "cat":
		var b []byte
		if b, err = os.ReadFile(os.Args[2]); err == nil {
			os.Stdout.Write(b)
		}
	case "readlink":
		var target string
		if target, err = os.Readlink(os.Args[2]); err == nil {
			fmt.Println(target)
		}
	case "ifaces":
		err = ifaces()
	case "ps":
		err = ps()
	case "hostname":
		var h string
		if h, err = os.Hostname(); err == nil {
			fmt.Println(h)
		}
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

func ifaces() error {
	list, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range list {
		addrs, _ := i.Addrs()
		var as []string
		for _, a := range addrs {
			as = append(as, a.String())
		}
		fmt.Println(i.Name, strings.Join(as, " "))
	}
	return nil
}

func ps() error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		fmt.Println(e.Name(), strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")))
	}
	return nil
}
