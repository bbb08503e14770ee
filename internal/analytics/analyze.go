package analytics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"plenary/internal/accesslog"
)

// Options control an analysis. The zero value is usable.
type Options struct {
	// From and To keep only days in [From, To]; zero means unbounded.
	From, To Date
	// Top is the number of rows in each table of the report (default 20).
	Top int
	// TableCap bounds the distinct keys kept per high-cardinality table
	// (paths, not-found paths, referring sites); default 10,000.
	TableCap int
	// Site is the site's own host name; referrals from it are left out of
	// referring sites.
	Site string
	// GuessSite, when Site is empty, takes as the site's own host the one
	// that referred most requests for static files, and leaves it out of
	// referring sites: a site's style sheets, scripts and images are
	// loaded by its own pages, so their referrer names the site. Without
	// it, a site's own pages would top its referring sites.
	GuessSite bool
	// Day, when set, counts every line under this day whatever its
	// timestamp says. A day file of plenary's own log is named for a UTC
	// day while its lines carry the server's zone; the file is the day.
	Day Date
	// Groups keeps, for each day, every page, not-found page, referring
	// site, browser, system, robot, status and hour with the distinct
	// visitors it had (Day.Groups), for storage that folds away groups
	// seen by fewer than MinVisitors visitors. Off for reports: it costs a
	// visitor set per group.
	Groups bool
	// MinVisitors is the k of the folding: with Groups, a group seen by
	// fewer visitors on a day is counted under Other.
	MinVisitors int
	// MaxGroups bounds the distinct names kept per dimension and day with
	// Groups (default 5,000); past it, new names count toward Other.
	MaxGroups int
	// Workers is the number of parsing goroutines (default GOMAXPROCS).
	Workers int
	// ChunkBytes is the size of the blocks handed to workers (default 1 MiB).
	ChunkBytes int
	// MaxLineBytes is the longest line accepted (default 64 KiB); longer
	// lines are counted invalid and skipped without being held in memory.
	MaxLineBytes int
	// Samples is how many invalid lines to keep as examples (default 5;
	// negative keeps none).
	Samples int
	// Progress, when set, is called about every ProgressEvery (default
	// 500ms) from a separate goroutine, and once at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// VisitorKey, when set, keys the visitor hash of every day instead of
	// a random key per day, and CloseDay then sketches each day's visitors
	// (Day.VisitorSketch). Instances counting the same day with the same
	// key make sketches that merge; the caller discards the key with the
	// day (internal/usage keeps it for a few days, then deletes it).
	VisitorKey *[32]byte
}

// Progress reports how far an analysis has got.
type Progress struct {
	Bytes int64 // bytes read (after decompression)
	Lines int64
	Done  bool
}

func (o Options) withDefaults() Options {
	if o.Top <= 0 {
		o.Top = 20
	}
	if o.TableCap <= 0 {
		o.TableCap = 10000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 1 << 20
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 10
	}
	if o.ChunkBytes < 2*o.MaxLineBytes {
		o.ChunkBytes = 2 * o.MaxLineBytes
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = 5000
	}
	if o.Samples == 0 {
		o.Samples = 5
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 500 * time.Millisecond
	}
	return o
}

// Source is one log to read.
type Source struct {
	// Name labels the source in the report and in error messages.
	Name string
	// Open returns the raw bytes, compressed or not; Analyze closes it.
	Open func() (io.ReadCloser, error)
}

// FileSource reads a file by path; "-" is standard input.
func FileSource(path string) Source {
	if path == "-" {
		return Source{Name: "-", Open: func() (io.ReadCloser, error) { return io.NopCloser(os.Stdin), nil }}
	}
	return Source{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// ReaderSource reads from r, which Analyze does not close.
func ReaderSource(name string, r io.Reader) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// SourceInfo describes one source after reading it.
type SourceInfo struct {
	Name   string `json:"name"`
	Format string `json:"format"`
	Gzip   bool   `json:"gzip"`
	Bytes  int64  `json:"bytes"`
	Lines  int64  `json:"lines"`
}

type chunk struct {
	src       string
	buf       *[]byte // returned to the pool when done
	data      []byte
	firstLine int64
}

// Analyze reads every source in turn and returns the report. Lines are
// parsed and counted by Options.Workers goroutines in parallel, each into
// its own partial aggregate; the partials are merged at the end.
func Analyze(ctx context.Context, sources []Source, opts Options) (*Report, error) {
	root, infos, err := Count(ctx, sources, opts)
	if err != nil {
		return nil, err
	}
	return root.report(infos), nil
}

// Count reads and counts every source as Analyze does, and returns the
// aggregate before any report is made, for a caller that stores days
// (CloseDay) rather than reporting them.
func Count(ctx context.Context, sources []Source, opts Options) (*Aggregator, []SourceInfo, error) {
	if len(sources) == 0 {
		return nil, nil, errNoSources
	}
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	root := NewAggregator(opts)
	workers := make([]*Aggregator, opts.Workers)
	for i := range workers {
		workers[i] = root.Fork()
	}

	// A fixed number of buffers bounds memory: the reader blocks when all
	// are in flight. They are allocated on first need, so a small log
	// costs one buffer, not the whole pool.
	nbuf := 2*opts.Workers + 2
	pool := newBufPool(nbuf, opts.ChunkBytes)
	chunks := make(chan chunk, opts.Workers)

	var readBytes, readLines atomic.Int64
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range chunks {
				if ctx.Err() == nil {
					processChunk(w, c)
				}
				pool.put(c.buf)
			}
		}()
	}

	stopProgress := startProgress(ctx, opts, &readBytes, &readLines)

	infos := make([]SourceInfo, 0, len(sources))
	var readErr error
	for _, src := range sources {
		info, err := readSource(ctx, src, root, opts, pool, chunks, &readBytes, &readLines)
		infos = append(infos, info)
		if err != nil {
			readErr = err
			break
		}
	}
	close(chunks)
	wg.Wait()
	stopProgress()
	if readErr != nil {
		return nil, nil, readErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("analysing logs: %w", err)
	}
	for _, w := range workers {
		root.Merge(w)
	}
	return root, infos, nil
}

func startProgress(ctx context.Context, opts Options, readBytes, readLines *atomic.Int64) func() {
	if opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(opts.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				opts.Progress(Progress{Bytes: readBytes.Load(), Lines: readLines.Load()})
			case <-ctx.Done():
				return
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		opts.Progress(Progress{Bytes: readBytes.Load(), Lines: readLines.Load(), Done: true})
	}
}

func processChunk(a *Aggregator, c chunk) {
	data := c.data
	line := c.firstLine
	for len(data) > 0 {
		var l []byte
		l, data = cutLine(data)
		line++
		a.AddLine(c.src, line, l)
	}
}

// cutLine returns the first line of data, without its newline, and the rest.
func cutLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// readSource splits one source into chunks that end at a line boundary.
// Lines longer than a chunk are counted here (as too long) and skipped up to
// their newline, so no line is ever held whole in memory.
func readSource(ctx context.Context, src Source, root *Aggregator, opts Options,
	pool *bufPool, chunks chan<- chunk, readBytes, readLines *atomic.Int64) (SourceInfo, error) {
	info := SourceInfo{Name: src.Name}
	rc, err := src.Open()
	if err != nil {
		return info, fmt.Errorf("opening log %s: %w", src.Name, err)
	}
	defer rc.Close()

	r, err := accesslog.NewReader(rc)
	if err != nil {
		return info, fmt.Errorf("reading log %s: %w", src.Name, err)
	}
	defer r.Close()
	info.Gzip = r.Gzip()

	var carry []byte // start of a line continued in the next chunk
	var lineNo int64
	skipping := false // inside an over-long line, discarding to its newline
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return info, fmt.Errorf("reading log %s: %w", src.Name, err)
		}
		bufp, err := pool.get(ctx)
		if err != nil {
			return info, fmt.Errorf("reading log %s: %w", src.Name, err)
		}
		buf := *bufp
		n := copy(buf, carry)
		m, err := io.ReadFull(r, buf[n:])
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			pool.put(bufp)
			return info, fmt.Errorf("reading log %s: %w", src.Name, err)
		}
		eof := err != nil
		info.Bytes += int64(m)
		readBytes.Add(int64(m))
		data := buf[:n+m]

		if skipping {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				carry = nil
				pool.put(bufp)
				if eof {
					break
				}
				continue
			}
			skipping = false
			data = data[i+1:]
		}

		end := len(data)
		carry = nil
		if !eof {
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 {
				// A whole chunk without a newline: one over-long line.
				lineNo++
				info.Lines++
				readLines.Add(1)
				root.reject(src.Name, lineNo, data, reasonTooLong)
				skipping = true
				pool.put(bufp)
				continue
			}
			end = i + 1
			carry = append([]byte(nil), data[end:]...)
		}
		data = data[:end]
		if first && len(data) > 0 {
			info.Format = detectFormat(data).String()
			first = false
		}
		lines := int64(bytes.Count(data, []byte{'\n'}))
		if eof && len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		info.Lines += lines
		readLines.Add(lines)
		if len(data) > 0 {
			chunks <- chunk{src: src.Name, buf: bufp, data: data, firstLine: lineNo}
		} else {
			pool.put(bufp)
		}
		lineNo += lines
		if eof {
			break
		}
	}
	if info.Format == "" {
		info.Format = FormatUnknown.String()
	}
	return info, nil
}

// detectFormat looks at the first valid lines of a file: combined if most
// of them carry referrer and user agent, common otherwise.
func detectFormat(data []byte) Format {
	var e Entry
	combined, seen := 0, 0
	for len(data) > 0 && seen < 10 {
		var l []byte
		l, data = cutLine(data)
		if parseInto(&e, l) != reasonOK {
			continue
		}
		seen++
		if e.Combined {
			combined++
		}
	}
	switch {
	case seen == 0:
		return FormatUnknown
	case combined*2 >= seen:
		return FormatCombined
	}
	return FormatCommon
}

// errNoSources is returned when there is nothing to read.
var errNoSources = errors.New("no log files given")

// bufPool hands out at most max buffers of size bytes, allocating each on
// first need.
type bufPool struct {
	free      chan *[]byte
	mu        sync.Mutex
	allocated int
	max, size int
}

func newBufPool(max, size int) *bufPool {
	return &bufPool{free: make(chan *[]byte, max), max: max, size: size}
}

func (p *bufPool) get(ctx context.Context) (*[]byte, error) {
	select {
	case b := <-p.free:
		return b, nil
	default:
	}
	p.mu.Lock()
	if p.allocated < p.max {
		p.allocated++
		p.mu.Unlock()
		b := make([]byte, p.size)
		return &b, nil
	}
	p.mu.Unlock()
	select {
	case b := <-p.free:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *bufPool) put(b *[]byte) { p.free <- b }
