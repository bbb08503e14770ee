package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"plenary/internal/config"
	"plenary/internal/lists"
	"plenary/internal/mail"
)

const listsUsage = "usage: plenary lists create NAME --description TEXT [--posting open|subscribers|moderated] [--archive public|subscribers] [--no-search]\n       plenary lists import NAME FILE..."

// runLists manages discussion groups from the command line:
//
//	plenary lists create wg-http --description 'HTTP work' --posting subscribers
func runLists(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return runListsImport(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "create" {
		return usageError{listsUsage}
	}
	args = args[1:]
	// The name may come before the flags, as the usage shows, or after.
	name := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	fs := newFlags(env, "lists create")
	desc := fs.String("description", "", "what the list is for (required)")
	posting := fs.String("posting", lists.PostSubscribers, "who may post: open, subscribers (others are moderated) or moderated")
	archive := fs.String("archive", lists.ArchivePublic, "who may read the archive: public or subscribers")
	noSearch := fs.Bool("no-search", false, "leave the list out of site-wide search (a test list, say)")
	cfg, err := loadConfig(fs, args, config.ListFlags)
	if err != nil {
		return err
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() != 0 || name == "" {
		return usageError{listsUsage}
	}
	n, problems := lists.NewList{Name: name, Description: *desc, Posting: *posting, Archive: *archive, NoSearch: *noSearch}.Clean()
	if len(problems) > 0 {
		return usageError{lists.ProblemsError(problems).Error()}
	}
	a, err := openConfigured(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	svc := &lists.Service{DB: a.db, Audit: a.audit, Policy: a.policy, Domain: cfg.MailDomain, Mailboxes: []string{lists.Mailbox(cfg.MailingAddress)}}
	l, err := svc.Create(ctx, lists.Actor{Label: "cli"}, n)
	if errors.Is(err, lists.ErrNameTaken) {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	var probs lists.ProblemsError
	if errors.As(err, &probs) {
		return usageError{probs.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created list %s: address %s, posting %s, archive %s\n", l.Name, l.Address(cfg.MailDomain), l.Posting, l.Archive)
	return nil
}

// listService is the lists use cases for the inbound listener.
func listService(a *app, mailer mail.Sender) *lists.Service {
	return &lists.Service{DB: a.db, Audit: a.audit, Policy: a.policy, Mail: mailer, Domain: a.cfg.MailDomain,
		BaseURL: strings.TrimSuffix(a.cfg.BaseURL.String(), "/"), Org: a.cfg.OrgName, Mailboxes: []string{lists.Mailbox(a.cfg.MailingAddress)}}
}
