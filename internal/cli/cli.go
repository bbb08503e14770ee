// Package cli dispatches plenary's subcommands. Each subcommand parses its
// own flags and returns an error; Run prints the error as one line and
// turns it into the exit status.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Env is the process's streams, so tests can run commands in-process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// usageError means the command line was wrong; Run exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the web site", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"policy", "publish and inspect privacy statement versions", runPolicy},
		{"user", "add an account, such as the first admin", runUser},
		{"lists", "create discussion groups, import mbox archives", runLists},
		{"audit", "verify the tamper-evident audit log", runAudit},
		{"backup", "write a consistent copy of an installation (SQLite or PostgreSQL)", runBackup},
		{"restore", "bring a backup back into a new data directory or an empty database", runRestore},
		{"logs", "report usage trends from access logs (aggregates only)", runLogs},
		{"sweep", "remove what has outlived its retention rule, from every store", runSweep},
		{"dsr", "a person's data: search every store (scan), or a copy as JSON (export)", runDSR},
		{"version", "print the version", runVersion},
	}
}

// Run executes the subcommand named by args[0] and returns the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(env.Stderr, "plenary %s: %s\n", c.name, oneLine(err))
			return 2
		default:
			fmt.Fprintf(env.Stderr, "plenary %s: %s\n", c.name, oneLine(err))
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "plenary: unknown command %q\n", args[0])
	printUsage(env.Stderr)
	return 2
}

// oneLine joins a multi-part error (several bad flags, say) into one line.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: plenary COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'plenary COMMAND -h' for a command's flags.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("plenary "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parse parses args and turns a flag error into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// Version is the build's version: the module version when built from a
// tagged module, the VCS revision when built from a checkout, else "dev".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

func runVersion(ctx context.Context, env Env, args []string) error {
	fmt.Fprintln(env.Stdout, "plenary", Version())
	return nil
}
