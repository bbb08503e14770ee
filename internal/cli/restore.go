package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"plenary/internal/audit"
	"plenary/internal/config"
	"plenary/internal/secrets"
)

// BackupPostgresFile is the portable dump `plenary backup` writes for a
// PostgreSQL installation.
const BackupPostgresFile = "plenary-postgres.json.gz"

// runRestore brings a backup back into a new data directory: a SQLite
// backup's database is copied in; a PostgreSQL backup is loaded, in one
// transaction, into the empty database named by --db. The master key and
// the audit checkpoints come along, so the audit log verifies and
// encrypted records read as before.
func runRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "restore")
	from := fs.String("from", "", "`directory` written by plenary backup (required)")
	cfg, err := loadConfig(fs, args, config.StoreFlags)
	if err != nil {
		return err
	}
	if *from == "" {
		return usageError{"--from: name the backup directory"}
	}
	pgDump := filepath.Join(*from, BackupPostgresFile)
	sqliteFile := filepath.Join(*from, "plenary.db")
	_, pgErr := os.Stat(pgDump)
	_, liteErr := os.Stat(sqliteFile)
	isPG := cfg.DB != "" && (strings.HasPrefix(cfg.DB, "postgres://") || strings.HasPrefix(cfg.DB, "postgresql://"))
	switch {
	case pgErr == nil && !isPG:
		return errors.New("--from holds a PostgreSQL backup: name the empty database to load it into with --db postgres://…")
	case liteErr == nil && isPG:
		return errors.New("--from holds a SQLite backup: restore it without --db, into a new --data directory")
	case pgErr != nil && liteErr != nil:
		return fmt.Errorf("--from: %s holds no backup (neither plenary.db nor %s)", *from, BackupPostgresFile)
	}
	if entries, err := os.ReadDir(cfg.DataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("--data: %s is not empty; restore into a new directory so nothing is overwritten", cfg.DataDir)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	// The key and checkpoints first: opening the site without the key
	// would make a new one.
	for _, name := range []string{secrets.KeyFile, audit.CheckpointFile} {
		if err := copyFile(filepath.Join(*from, name), filepath.Join(cfg.DataDir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restoring %s: %w", name, err)
		}
	}
	if !isPG {
		if cfg.DB != "" {
			return errors.New("--db: a SQLite backup is restored as the data directory's own database; leave --db out")
		}
		if err := copyFile(sqliteFile, filepath.Join(cfg.DataDir, "plenary.db")); err != nil {
			return fmt.Errorf("restoring the database: %w", err)
		}
	}
	a, err := openConfigured(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if !isPG {
		fmt.Fprintf(env.Stdout, "restored the SQLite backup into %s; start plenary with --data %s\n", cfg.DataDir, cfg.DataDir)
		return nil
	}
	f, err := os.Open(pgDump)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer f.Close()
	st, err := a.db.Load(ctx, f)
	if err != nil {
		return fmt.Errorf("loading the backup (nothing was restored): %w", err)
	}
	fmt.Fprintf(env.Stdout, "restored %d tables, %d rows into %s; start plenary with --db and --data %s\n", st.Tables, st.Rows, a.db, cfg.DataDir)
	return nil
}

// copyFile copies a file into a new one of mode 0600.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
