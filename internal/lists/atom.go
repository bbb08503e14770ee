package lists

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"plenary/internal/store"
)

// FeedSize is how many of the newest postings the Atom feed carries.
const FeedSize = 50

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID      string     `xml:"id"`
	Title   string     `xml:"title"`
	Updated string     `xml:"updated"`
	Author  atomAuthor `xml:"author"`
	Link    atomLink   `xml:"link"`
	Content atomText   `xml:"content"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// WriteAtom writes an Atom feed (RFC 4287) of the newest published
// postings of l, each attributed to its author by name (G1); the
// authors' addresses are left out. With mask (a reader not signed in, as
// feed readers are) the addresses in the postings' text are masked too,
// as on the archive's pages.
func WriteAtom(ctx context.Context, q store.Querier, l List, baseURL string, mask bool, w io.Writer) error {
	ps, err := postsWhere(ctx, q, "p.list_id = ? AND p.status = ? ORDER BY p.published_at DESC, p.id DESC", l.ID, Published)
	if err != nil {
		return err
	}
	if len(ps) > FeedSize {
		ps = ps[:FeedSize]
	}
	archive := baseURL + "/lists/" + l.Name
	updated := l.CreatedAt.UTC()
	if len(ps) > 0 && ps[0].PublishedAt != nil {
		updated = *ps[0].PublishedAt
	}
	f := atomFeed{ID: archive, Title: l.Name + ": " + firstLine(l.Description), Updated: updated.Format(time.RFC3339),
		Links: []atomLink{{Rel: "self", Href: baseURL + "/lists/" + l.Name + "/atom.xml"}, {Rel: "alternate", Href: archive}}}
	for _, p := range ps {
		if mask {
			p = p.Masked()
		}
		at := p.CreatedAt.UTC()
		if p.PublishedAt != nil {
			at = *p.PublishedAt
		}
		url := fmt.Sprintf("%s/msg/%d", archive, p.ID)
		f.Entries = append(f.Entries, atomEntry{ID: url, Title: p.Subject, Updated: at.Format(time.RFC3339),
			Author: atomAuthor{Name: p.Author}, Link: atomLink{Rel: "alternate", Href: url}, Content: atomText{Type: "text", Body: strings.TrimRight(p.Body, "\n")}})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("writing the feed of %s: %w", l.Name, err)
	}
	return enc.Close()
}
