package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/config"
	"plenary/internal/inventory"
	"plenary/internal/policy"
	"plenary/internal/retention"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// app is an opened plenary installation: configuration, migrated database
// and the services built on it. serve, migrate and the admin commands all
// start from one.
type app struct {
	cfg    *config.Config
	db     *store.DB
	inv    *inventory.Inventory
	policy *policy.Service
	keys   *secrets.Keys
	audit  *audit.Log
	log    *slog.Logger
}

// openApp parses the shared configuration flags, opens and migrates the
// database and checks the privacy statement against the inventory.
func openApp(ctx context.Context, env Env, fs *flag.FlagSet, args []string, log *slog.Logger) (*app, error) {
	return openAppWith(ctx, fs, args, config.Flags, log)
}

// openAppWith is openApp for a command that takes only some of the
// configuration flags (config.StoreFlags, say), so its -h lists nothing it
// would ignore.
func openAppWith(ctx context.Context, fs *flag.FlagSet, args []string, register func(*flag.FlagSet) func() (*config.Config, error), log *slog.Logger) (*app, error) {
	cfg, err := loadConfig(fs, args, register)
	if err != nil {
		return nil, err
	}
	return openConfigured(ctx, cfg, log)
}

// loadConfig registers the configuration flags with register (config.Flags
// for all of them), parses args and checks the result; it creates nothing.
func loadConfig(fs *flag.FlagSet, args []string, register func(*flag.FlagSet) func() (*config.Config, error)) (*config.Config, error) {
	load := register(fs)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	inv := inventory.Default()
	for key := range cfg.Retention {
		if !slices.Contains(inv.RetentionKeys(), key) {
			return nil, fmt.Errorf("--retention: %q is not a retention key; known keys: %s", key, strings.Join(inv.RetentionKeys(), ", "))
		}
	}
	return cfg, nil
}

// openConfigured creates the data directory if needed, then opens and
// migrates the database.
func openConfigured(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	inv := inventory.Default()
	if cfg.TestProcessorAddr != "" {
		// The privacy statement names the processor only while it is on.
		inv.Enable(inventory.TestProcessorName)
	}
	if cfg.StripeKey != "" {
		// Stripe is named (privacy page, transfer statement) only when
		// payments go through it.
		inv.Enable(inventory.StripeName)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("--data: cannot create data directory: %w", err)
	}
	keys, err := secrets.Load(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("--secret-key: %w", err)
	}
	db, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "db", db.String(), "applied", applied)
	}
	a := &app{cfg: cfg, db: db, inv: inv, keys: keys, log: log,
		audit: &audit.Log{DB: db, Key: keys.Derive("audit"), Checkpoints: &audit.Checkpoints{
			Path: filepath.Join(cfg.DataDir, audit.CheckpointFile), Key: keys.Derive("audit/checkpoint"), Instance: cfg.Instance}}}
	a.policy = &policy.Service{
		DB: db, Inventory: inv, AnnounceFor: cfg.AnnounceFor,
		Facts: policy.Facts{
			Org: cfg.OrgName, Country: cfg.OrgCountry, Contact: cfg.PrivacyContact,
			RetentionDays:     cfg.RetentionDays,
			ThirdPartyCookies: cfg.ThirdPartyCookies,
			MailingAddress:    cfg.MailingAddress,
			Secretariat:       cfg.SecretariatContact,
		},
	}
	return a, nil
}

// syncPolicy publishes a new statement version when this release's data
// inventory or the organization's details changed the text. Only serve
// and migrate call it: a one-off command run with other flags must not
// publish a statement.
func (a *app) syncPolicy(ctx context.Context) error {
	published, err := a.policy.EnsureCurrent(ctx, time.Now())
	if err != nil {
		return err
	}
	if published {
		a.log.Info("published a new privacy statement version to match this release's data inventory and configuration")
	}
	return nil
}

func (a *app) Close() error { return a.db.Close() }

func runMigrate(ctx context.Context, env Env, args []string) error {
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	a, err := openApp(ctx, env, newFlags(env, "migrate"), args, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.syncPolicy(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database %s is up to date\n", a.db)
	return nil
}

// retentionEnv is what the retention jobs work on in this installation;
// label names who runs them in the audit log.
func (a *app) retentionEnv(log *slog.Logger, label string, progress func(string)) *retention.Env {
	return &retention.Env{
		DB: a.db, Audit: a.audit, Days: a.retentionDays,
		LogDir: filepath.Join(a.cfg.DataDir, "logs"), Instance: a.cfg.Instance,
		MinVisitors: a.cfg.AnalyticsMinVisitors, Site: a.cfg.BaseURL.Hostname(),
		Log: log, Label: label, Progress: progress,
	}
}

// retentionDays is the configured lifetime for a retention key, falling
// back to the default the inventory declares (and the privacy page shows).
func (a *app) retentionDays(key string) int {
	return a.cfg.RetentionDays(key, a.inv.RetentionDays(key))
}
