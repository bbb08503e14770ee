package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"plenary/internal/policy"
)

func runPolicy(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"usage: plenary policy publish|show|template [flags]"}
	}
	switch args[0] {
	case "template":
		_, err := io.WriteString(env.Stdout, policy.BuiltinTemplate())
		return err
	case "show":
		a, err := openApp(ctx, env, newFlags(env, "policy show"), args[1:], slog.New(slog.NewTextHandler(env.Stderr, nil)))
		if err != nil {
			return err
		}
		defer a.Close()
		vs, err := a.policy.List(ctx)
		if err != nil {
			return err
		}
		for _, v := range vs {
			material := ""
			if v.Material {
				material = " [material]"
			}
			fmt.Fprintf(env.Stdout, "%d\t%s\t%s%s\t%s\n", v.ID, v.PublishedAt.UTC().Format(time.RFC3339), v.Source, material, v.Summary)
		}
		return nil
	case "publish":
		fs := newFlags(env, "policy publish")
		summary := fs.String("summary", "", "what changed, in a sentence (required)")
		material := fs.Bool("material", false, "the change affects what is done with personal data: signed-in participants must acknowledge it")
		a, err := openApp(ctx, env, fs, args[1:], slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		defer a.Close()
		if fs.NArg() != 1 {
			return usageError{"usage: plenary policy publish --summary TEXT [--material] FILE  (FILE is a statement template; see 'plenary policy template')"}
		}
		if *summary == "" {
			return usageError{"--summary: say what changed"}
		}
		// The new version is compared with what the site shows now, so the
		// release's own statement is brought up to date first.
		if err := a.syncPolicy(ctx); err != nil {
			return err
		}
		body, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("reading statement: %w", err)
		}
		v, err := a.policy.Publish(ctx, string(body), *summary, fs.Arg(0), *material, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "published privacy statement version %d; announced on the home page until %s\n", v.ID, v.PublishedAt.Add(a.cfg.AnnounceFor).UTC().Format(time.DateOnly))
		return nil
	}
	return usageError{fmt.Sprintf("unknown policy command %q: use publish, show or template", args[0])}
}
