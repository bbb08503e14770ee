package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"plenary/internal/config"
)

func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{"usage: plenary audit verify [--checkpoints FILE]... [flags]"}
	}
	fs := newFlags(env, "audit verify")
	var also []string
	fs.Func("checkpoints", "another instance's audit checkpoint `file` to compare with too (repeat for each); DATA/audit-checkpoints is always read", func(v string) error {
		also = append(also, v)
		return nil
	})
	a, err := openAppWith(ctx, fs, args[1:], config.StoreFlags, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	a.audit.Checkpoints.Also = also
	r, err := a.audit.Verify(ctx, func(done int) {
		fmt.Fprintf(env.Stderr, "\rverified %d entries…", done)
	})
	if err != nil {
		return err
	}
	if r.Entries >= 10000 {
		fmt.Fprintln(env.Stderr)
	}
	if !r.OK() {
		return fmt.Errorf("audit log is NOT intact after %d entries: %s", r.Entries, r.Problem)
	}
	head := "(empty)"
	if r.Head.Seq > 0 {
		head = fmt.Sprintf("number %d, %s", r.Head.Seq, r.Head.Hash)
	}
	// The checkpoints vouch for the end of the chain up to the newest of
	// them; entries after it could still be cut unseen, so the head is
	// printed for the operator to keep elsewhere too.
	fmt.Fprintf(env.Stdout, "audit log intact: %d entries, head %s; matches %d checkpoints\n", r.Entries, head, r.Checkpoints)
	return nil
}
