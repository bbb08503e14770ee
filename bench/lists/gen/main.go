// Command gen writes a large mbox archive, and the same messages as a
// maildir, made from real archives: each message of the samples is used
// again and again with a new Message-ID, date and subject, and replies
// point at earlier generated messages, so the archive has threads. The
// output is the same for the same inputs and count.
//
//	go run ./bench/lists/gen -n 100000 -mbox /tmp/x.mbox -maildir /tmp/md ../shared/testdata/mbox/*.mbox
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"plenary/internal/lists"
)

func main() {
	n := flag.Int("n", 100000, "messages to write")
	mboxPath := flag.String("mbox", "", "mbox file to write")
	maildir := flag.String("maildir", "", "maildir to write (its cur/ holds one file per message)")
	flag.Parse()
	if *mboxPath == "" || flag.NArg() == 0 {
		log.Fatal("usage: gen -n N -mbox FILE [-maildir DIR] SAMPLE.mbox...")
	}
	var samples [][]byte
	for _, f := range flag.Args() {
		r, err := os.Open(f)
		if err != nil {
			log.Fatal(err)
		}
		mr, err := lists.NewMboxReader(r)
		if err != nil {
			log.Fatal(f, ": ", err)
		}
		for {
			m, err := mr.Next()
			if err != nil {
				break
			}
			if _, err := lists.ParseMessage(m.Raw); err == nil && m.Err == nil {
				samples = append(samples, m.Raw)
			}
		}
		r.Close()
	}
	if len(samples) == 0 {
		log.Fatal("no sample messages")
	}
	out, err := os.Create(*mboxPath)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	if *maildir != "" {
		for _, d := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(*maildir, d), 0o755); err != nil {
				log.Fatal(err)
			}
		}
	}
	start := time.Date(2015, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < *n; i++ {
		body := stripHeaders(samples[i%len(samples)])
		at := start.Add(time.Duration(i) * 7 * time.Minute)
		var h bytes.Buffer
		fmt.Fprintf(&h, "Message-ID: <bench-%d@bench.example>\n", i)
		fmt.Fprintf(&h, "Date: %s\n", at.Format(time.RFC1123Z))
		// One message in four starts a thread; the others answer one of
		// the previous few, so threads have depth and breadth.
		topic := i - i%4
		if i%4 == 0 {
			fmt.Fprintf(&h, "Subject: Topic %d: %s\n", topic, subjectOf(samples[i%len(samples)]))
		} else {
			parent := topic + (i%4-1)/2
			fmt.Fprintf(&h, "Subject: Re: Topic %d: %s\n", topic, subjectOf(samples[topic%len(samples)]))
			fmt.Fprintf(&h, "In-Reply-To: <bench-%d@bench.example>\n", parent)
			fmt.Fprintf(&h, "References: <bench-%d@bench.example> <bench-%d@bench.example>\n", topic, parent)
		}
		msg := append(h.Bytes(), body...)
		fmt.Fprintf(w, "From bench@bench.example %s\n", at.Format("Mon Jan _2 15:04:05 2006"))
		for _, line := range bytes.SplitAfter(msg, []byte("\n")) {
			if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
				w.WriteByte('>')
			}
			w.Write(line)
		}
		if !bytes.HasSuffix(msg, []byte("\n")) {
			w.WriteByte('\n')
		}
		w.WriteByte('\n')
		if *maildir != "" {
			name := filepath.Join(*maildir, "cur", fmt.Sprintf("%d.bench%d.bench:2,S", at.Unix(), i))
			if err := os.WriteFile(name, msg, 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %d messages from %d samples\n", *n, len(samples))
}

// stripHeaders drops the header fields gen replaces, with their folded
// continuation lines, and keeps everything else as it is.
func stripHeaders(raw []byte) []byte {
	var out bytes.Buffer
	lines := bytes.SplitAfter(raw, []byte("\n"))
	skipping := false
	for i, l := range lines {
		t := strings.TrimRight(string(l), "\r\n")
		if t == "" {
			for _, rest := range lines[i:] {
				out.Write(rest)
			}
			break
		}
		if (l[0] == ' ' || l[0] == '\t') && skipping {
			continue
		}
		name, _, _ := strings.Cut(strings.ToLower(t), ":")
		switch name {
		case "message-id", "date", "subject", "in-reply-to", "references":
			skipping = true
			continue
		}
		skipping = false
		out.Write(l)
	}
	return out.Bytes()
}

func subjectOf(raw []byte) string {
	p, err := lists.ParseMessage(raw)
	if err != nil || p.Subject == "" {
		return "no subject"
	}
	s := p.Subject
	for {
		l := strings.ToLower(s)
		if strings.HasPrefix(l, "re:") || strings.HasPrefix(l, "aw:") {
			s = strings.TrimSpace(s[3:])
			continue
		}
		break
	}
	if len([]rune(s)) > 80 {
		s = string([]rune(s)[:80])
	}
	return strings.ReplaceAll(s, "\n", " ")
}
