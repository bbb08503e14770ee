// Command profiled is `plenary serve` with Go's profiler reachable on a
// second, loopback-only address (its first argument, -pprof=ADDR), for finding what stands between a page
// and the bare server (bench/http/run.sh with PROFILE=path). It takes
// plenary's serve flags after its own:
//
//	go run ./bench/http/profiled -pprof=127.0.0.1:18082 --data /tmp/d --demo
//	go tool pprof -top http://127.0.0.1:18082/debug/pprof/profile?seconds=8
package main

import (
	"context"
	"log"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"strings"

	"plenary/internal/cli"
)

func main() {
	addr, rest := "127.0.0.1:18082", os.Args[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "-pprof=") {
		addr, rest = strings.TrimPrefix(rest[0], "-pprof="), rest[1:]
	}
	go func() { log.Fatal(http.ListenAndServe(addr, nil)) }()
	os.Exit(cli.Run(context.Background(), append([]string{"serve"}, rest...), cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
