package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"plenary/internal/auth"
	"plenary/internal/config"
	"plenary/internal/people"
	"plenary/internal/validate"
)

// runUser manages accounts from the command line; its main use is
// creating the first admin:
//
//	echo 'a long passphrase' | plenary user add --email E --name N --role admin
func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: plenary user add --email ADDRESS --name NAME [--role ROLE]... (the password is read from standard input)"}
	}
	fs := newFlags(env, "user add")
	email := fs.String("email", "", "the person's e-mail `address` (required)")
	name := fs.String("name", "", "the person's `name` (required)")
	var roles []auth.Role
	fs.Func("role", "a `role` to give besides participant: secretariat, finance, security or admin (repeat, or separate with commas)", func(v string) error {
		for _, r := range strings.Split(v, ",") {
			r = strings.TrimSpace(r)
			if !slices.Contains(auth.AllRoles, auth.Role(r)) {
				return fmt.Errorf("unknown role %q", r)
			}
			roles = append(roles, auth.Role(r))
		}
		return nil
	})
	// Only the flags this command uses: -h lists nothing it would ignore.
	cfg, err := loadConfig(fs, args[1:], config.StoreFlags)
	if err != nil {
		return err
	}
	a, err := openConfigured(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("unexpected argument %q; the password is read from standard input", fs.Arg(0))}
	}
	// Every problem of the flags at once, before the password is read.
	n, err := people.NewAccount{Name: *name, Email: *email, Roles: roles}.Check()
	if errs, ok := validate.From(err); ok {
		return usageError{userAddProblems(errs)}
	}
	password, err := readPassword(env.Stdin)
	if err != nil {
		return err
	}
	svc := &people.Service{DB: a.db, Audit: a.audit}
	hash, err := auth.DefaultHasher().Hash(password)
	if err != nil {
		return err
	}
	p, err := svc.AddAccount(ctx, people.Actor{Label: "cli"}, n, hash, time.Now())
	if errs, ok := validate.From(err); ok {
		return usageError{userAddProblems(errs)}
	}
	if errors.Is(err, people.ErrEmailTaken) {
		return fmt.Errorf("--email: %s already belongs to an account", n.Email)
	}
	if err != nil {
		return err
	}
	// The address people use is --base-url; one made up from the default
	// --addr would send them to 127.0.0.1 whatever the site's address.
	where := a.cfg.BaseURL.String() + "/login"
	if a.cfg.BaseURLFromAddr {
		where = "/login on the site (give --base-url, or PLENARY_BASE_URL, to have the full address printed)"
	}
	fmt.Fprintf(env.Stdout, "created account %d for %s <%s>; sign in at %s\n", p.ID, p.Name, n.Email, where)
	return nil
}

// userAddProblems names the flag of each problem of `user add`.
func userAddProblems(errs *validate.Errors) string {
	var lines []string
	for _, p := range errs.List() {
		lines = append(lines, "--"+p.Field+": "+p.Message)
	}
	return strings.Join(lines, "; ")
}

// readPassword reads the first line of standard input.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("the password is read from standard input, which is empty")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{"give the password on standard input, e.g. echo 'a long passphrase' | plenary user add …"}
	}
	if err := people.CheckPassword(pw); err != nil {
		return "", usageError{err.Error()}
	}
	return pw, nil
}
