package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"plenary/internal/secrets"
)

// Checkpoint is a signed statement that, at a given time, the audit chain
// reached number Seq with hash Hash. Checkpoints live outside the database,
// in a file of the data directory and in serve's log, so whoever can
// rewrite the audit table cannot also rewrite them: removing the newest
// entries leaves the chain short of its last checkpoint, and Verify says so.
type Checkpoint struct {
	At       time.Time
	Instance string // the instance that wrote it
	Seq      int64
	Hash     string
}

// Checkpoints is a file of checkpoint lines, one appended per head the
// instance saw, never rewritten. Each instance of a site that shares one
// PostgreSQL keeps its own file (or its own lines in a shared one); Verify
// compares the chain with every file it can read.
type Checkpoints struct {
	Path     string   // this instance's file, e.g. DATA/audit-checkpoints
	Also     []string // other instances' files to read too; each must exist
	Key      []byte   // from secrets.Keys.Derive("audit/checkpoint"), not the chain's key
	Instance string
	// MaxBytes is the size at which the file is set aside as Path.1
	// (replacing an older one) and a new one begun, so a site that writes
	// a checkpoint a minute does not grow the file without end; 0 means
	// one MiB, about five thousand checkpoints. Verify needs only the
	// newest: each one's head is past every earlier one's.
	MaxBytes int64

	// highest is the latest checkpoint read from the files or written
	// since, loaded once (the files only grow), so that a head below it is
	// caught without reading every line each minute.
	mu      sync.Mutex
	loaded  bool
	highest Checkpoint
}

// CheckpointFile is the name of the checkpoint file in the data directory.
const CheckpointFile = "audit-checkpoints"

const checkpointVersion = "v1"

func (c *Checkpoints) sign(cp Checkpoint) string {
	return mac(c.Key, "plenary-audit-checkpoint-"+checkpointVersion, cp.At.UTC().Format(time.RFC3339Nano), cp.Instance, strconv.FormatInt(cp.Seq, 10), cp.Hash)
}

// Line is the checkpoint as written to the file and to serve's log.
func (c *Checkpoints) Line(cp Checkpoint) string {
	return fmt.Sprintf("%s at=%s instance=%s seq=%d hash=%s mac=%s", checkpointVersion,
		cp.At.UTC().Format(time.RFC3339Nano), cp.Instance, cp.Seq, cp.Hash, c.sign(cp))
}

// Append writes cp as one line at the end of the file, creating it with
// mode 0600, and flushes it to disk.
func (c *Checkpoints) Append(cp Checkpoint) error {
	if err := secrets.CheckPrivate(c.Path); err != nil {
		return err
	}
	limit := c.MaxBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	if st, err := os.Stat(c.Path); err == nil && st.Size() >= limit {
		if err := os.Rename(c.Path, c.Path+".1"); err != nil {
			return fmt.Errorf("audit: setting the full checkpoint file aside: %w", err)
		}
	}
	f, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: opening the checkpoint file: %w", err)
	}
	// One write per line: with O_APPEND, instances sharing a data
	// directory never interleave inside a line.
	if _, err := f.WriteString(c.Line(cp) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("audit: writing %s: %w", c.Path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit: writing %s: %w", c.Path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit: writing %s: %w", c.Path, err)
	}
	return nil
}

// BadCheckpointError says a checkpoint line fails its signature or cannot
// be read: the file was edited, or written with another key.
type BadCheckpointError struct {
	Path string
	Line int
	Why  string
}

func (e *BadCheckpointError) Error() string {
	return fmt.Sprintf("checkpoint %s line %d %s: the checkpoint file was altered or written with another key", e.Path, e.Line, e.Why)
}

// Read returns every checkpoint of Path and of the file set aside before
// it (none when they do not exist yet) and of the Also files, checking
// each line's signature.
func (c *Checkpoints) Read() ([]Checkpoint, error) {
	var all []Checkpoint
	for i, path := range append([]string{c.Path + ".1", c.Path}, c.Also...) {
		cps, err := c.readFile(path)
		if i < 2 && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, cps...)
	}
	return all, nil
}

func (c *Checkpoints) readFile(path string) ([]Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: reading checkpoints: %w", err)
	}
	defer f.Close()
	var out []Checkpoint
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cp, sig, err := parseCheckpoint(sc.Text())
		if err != nil {
			return nil, &BadCheckpointError{Path: path, Line: n, Why: "cannot be read (" + err.Error() + ")"}
		}
		if want := c.sign(cp); sig != want {
			return nil, &BadCheckpointError{Path: path, Line: n, Why: "fails its signature"}
		}
		out = append(out, cp)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit: reading %s: %w", path, err)
	}
	return out, nil
}

func parseCheckpoint(line string) (Checkpoint, string, error) {
	fields := strings.Fields(line)
	if len(fields) != 6 || fields[0] != checkpointVersion {
		return Checkpoint{}, "", errors.New("not a checkpoint line")
	}
	kv := map[string]string{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return Checkpoint{}, "", fmt.Errorf("%q has no value", f)
		}
		kv[k] = v
	}
	var cp Checkpoint
	var err error
	if cp.At, err = time.Parse(time.RFC3339Nano, kv["at"]); err != nil {
		return cp, "", fmt.Errorf("bad time: %w", err)
	}
	if cp.Seq, err = strconv.ParseInt(kv["seq"], 10, 64); err != nil {
		return cp, "", fmt.Errorf("bad number: %w", err)
	}
	cp.Instance, cp.Hash = kv["instance"], kv["hash"]
	return cp, kv["mac"], nil
}

// Head returns the newest entry's number and hash, as a checkpoint not yet
// written; Seq is 0 when the log is empty.
func (l *Log) Head(ctx context.Context) (Checkpoint, error) {
	h, err := readHead(ctx, l.DB)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{At: l.now(), Seq: h.seq, Hash: h.hash}, nil
}

// Checkpoint writes a signed checkpoint of the current head to the
// checkpoint file and returns it. An empty log gets none: there is
// nothing yet to vouch for.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, bool, error) {
	if l.Checkpoints == nil {
		return Checkpoint{}, false, errors.New("audit: no checkpoint file is configured")
	}
	c := l.Checkpoints
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		cps, err := c.Read()
		if err != nil {
			return Checkpoint{}, false, err
		}
		for _, cp := range cps {
			if cp.Seq > c.highest.Seq {
				c.highest = cp
			}
		}
		c.loaded = true
	}
	cp, err := l.Head(ctx)
	if err != nil {
		return cp, false, err
	}
	// A head below a checkpoint already taken means entries were cut off
	// the end. Signing it would make the shorter log look vouched for in
	// serve's log, so the caller gets an error instead, every time.
	if cp.Seq < c.highest.Seq {
		return cp, false, fmt.Errorf("audit: not signing a checkpoint: the log ends at number %d, but the checkpoint of %s by %s recorded number %d: entries were removed from its end; run plenary audit verify",
			cp.Seq, c.highest.At.Format(time.RFC3339), c.highest.Instance, c.highest.Seq)
	}
	if cp.Seq == 0 {
		return cp, false, nil
	}
	cp.Instance = c.Instance
	if err := c.Append(cp); err != nil {
		return cp, false, err
	}
	c.highest = cp
	return cp, true, nil
}

// Behind compares the head with the latest readable checkpoint, without
// walking the chain, so serve can warn at start. It returns "" when the
// chain reaches every checkpoint, or says how far it falls short.
func (l *Log) Behind(ctx context.Context) (string, error) {
	if l.Checkpoints == nil {
		return "", nil
	}
	cps, err := l.Checkpoints.Read()
	if err != nil {
		return "", err
	}
	h, err := l.Head(ctx)
	if err != nil {
		return "", err
	}
	var latest Checkpoint
	for _, cp := range cps {
		if cp.Seq > latest.Seq {
			latest = cp
		}
	}
	if latest.Seq <= h.Seq {
		return "", nil
	}
	return fmt.Sprintf("the audit log ends at number %d, but the checkpoint of %s by %s recorded number %d: entries were removed from its end; run plenary audit verify",
		h.Seq, latest.At.Format(time.RFC3339), latest.Instance, latest.Seq), nil
}
