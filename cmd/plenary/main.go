// Command plenary is the web site and participant portal of a standards
// organization. All the work happens in internal/cli; main only hands it
// the process's arguments and streams.
package main

import (
	"context"
	"os"

	"plenary/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
