package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"plenary/internal/audit"
	"plenary/internal/config"
	"plenary/internal/secrets"
	"plenary/internal/store"
)

// runBackup writes a consistent copy of an installation — the database,
// the master key and the audit checkpoints — into a new directory. It runs
// safely beside a live server: on SQLite, VACUUM INTO reads one snapshot
// and the copy is a database `plenary serve --data DIR` can start from; on
// PostgreSQL, every table of plenary's schema is read from one REPEATABLE
// READ snapshot into a portable file (BackupPostgresFile), with no
// PostgreSQL tool needed, which `plenary restore` loads into an empty
// database.
func runBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "backup")
	to := fs.String("to", "", "new `directory` to write the backup into (required; must not exist)")
	a, err := openAppWith(ctx, fs, args, config.StoreFlags, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	if *to == "" {
		return usageError{"--to: name a new directory for the backup"}
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("--to: %s already exists; choose a new directory so no backup is overwritten", *to)
	}
	if err := os.MkdirAll(*to, 0o700); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	// The audit checkpoints are read before the snapshot is taken, so each
	// names an entry the snapshot holds: a restored log then verifies
	// against them instead of looking cut short.
	checkpoints, err := os.ReadFile(a.audit.Checkpoints.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading the audit checkpoints: %w", err)
	}
	dbFile := filepath.Join(*to, "plenary.db")
	if a.db.Dialect() == store.Postgres {
		dbFile = filepath.Join(*to, BackupPostgresFile)
		f, err := os.OpenFile(dbFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		if _, err := a.db.Dump(ctx, f); err != nil {
			f.Close()
			return fmt.Errorf("dumping the PostgreSQL tables: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("writing the dump: %w", err)
		}
	} else if err := a.db.Snapshot(ctx, dbFile); err != nil {
		return err
	}
	if checkpoints != nil {
		if err := os.WriteFile(filepath.Join(*to, audit.CheckpointFile), checkpoints, 0o600); err != nil {
			return fmt.Errorf("writing the audit checkpoints: %w", err)
		}
	}
	if a.cfg.SecretKey == "" {
		key, err := os.ReadFile(filepath.Join(a.cfg.DataDir, secrets.KeyFile))
		if err != nil {
			return fmt.Errorf("reading the master key: %w", err)
		}
		if err := os.WriteFile(filepath.Join(*to, secrets.KeyFile), key, 0o600); err != nil {
			return fmt.Errorf("writing the master key: %w", err)
		}
	}
	st, _ := os.Stat(dbFile)
	fmt.Fprintf(env.Stdout, "backup written to %s (database %d bytes", *to, st.Size())
	if a.cfg.SecretKey == "" {
		fmt.Fprint(env.Stdout, ", master key")
	} else {
		fmt.Fprint(env.Stdout, "; the master key comes from --secret-key: keep it with the backup")
	}
	if a.db.Dialect() == store.Postgres {
		fmt.Fprintf(env.Stdout, "); restore with plenary restore --from %s --db URL-of-an-empty-database --data NEW-DIR\n", *to)
		return nil
	}
	fmt.Fprintf(env.Stdout, "); restore by starting plenary with --data %s, or with plenary restore --from %s --data NEW-DIR\n", *to, *to)
	return nil
}
