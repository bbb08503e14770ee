package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"plenary/internal/auth"
	"plenary/internal/chart"
)

//go:embed templates static
var embedded embed.FS

// views holds the parsed templates and the static files with their content
// hashes. With --dev they are read from disk on every request instead.
type views struct {
	dev    bool
	mu     sync.Mutex
	pages  map[string]*template.Template
	static fs.FS
	hashes map[string]string
}

func loadViews(dev bool) (*views, error) {
	v := &views{dev: dev}
	if err := v.load(); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *views) files() fs.FS {
	if v.dev {
		return os.DirFS("internal/web")
	}
	return embedded
}

func (v *views) load() error {
	files := v.files()
	static, err := fs.Sub(files, "static")
	if err != nil {
		return err
	}
	hashes := map[string]string{}
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return fmt.Errorf("hashing static files: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(v.funcs(hashes)).ParseFS(files, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("parsing template %s: %w", name, err)
		}
		pages[name] = t
	}
	v.mu.Lock()
	v.pages, v.static, v.hashes = pages, static, hashes
	v.mu.Unlock()
	return nil
}

func (v *views) page(name string) (*template.Template, error) {
	if v.dev {
		if err := v.load(); err != nil {
			return nil, err
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.pages[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	return t, nil
}

func (v *views) funcs(hashes map[string]string) template.FuncMap {
	return template.FuncMap{
		// static gives a file's URL with its content hash, so browsers may
		// cache it for a year and still see every change.
		"static": func(name string) string {
			return "/static/" + hashes[name] + "/" + name
		},
		"date":     func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"isoDate":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		// external renders a link that leaves the site, marked as such in
		// words and by its class (L1).
		// Its result is template.HTML, which html/template does not
		// filter, so the address is checked here as for link.
		"external": func(href, text string) template.HTML {
			if _, ok := safeHref(href); !ok {
				href = "#"
			}
			return template.HTML(fmt.Sprintf(`<a href="%s" class="external" rel="external noopener noreferrer">%s<span class="visually-hidden"> (external site)</span></a>`,
				template.HTMLEscapeString(href), template.HTMLEscapeString(text)))
		},
		// link renders a link to an address that comes from data, such as
		// an announcement's: marked as external when it leaves the site.
		"link": func(href, text string) template.HTML {
			offsite, ok := safeHref(href)
			switch {
			case !ok:
				href = "#"
			case offsite:
				return template.HTML(fmt.Sprintf(`<a href="%s" class="external" rel="external noopener noreferrer">%s<span class="visually-hidden"> (external site)</span></a>`,
					template.HTMLEscapeString(href), template.HTMLEscapeString(text)))
			}
			return template.HTML(fmt.Sprintf(`<a href="%s">%s</a>`, template.HTMLEscapeString(href), template.HTMLEscapeString(text)))
		},
		"hasRole": func(id *auth.Identity, role string) bool { return id.Has(auth.Role(role)) },
		"holds":   func(roles []auth.Role, role auth.Role) bool { return slices.Contains(roles, role) },
		"add":     func(a, b int) int { return a + b },
		"number":  chart.Number,
		"percent": chart.Percent,
		"bytes":   chart.Bytes,
		"hunks":   diffHunks,
	}
}

// safeHref reports whether href may be a link's target (http, https,
// mailto or a path on this site; never javascript: or data:) and whether it
// leaves the site. A backslash is refused: browsers read "/\host" as
// "//host", which would leave the site unmarked.
func safeHref(href string) (offsite, ok bool) {
	u, err := url.Parse(href)
	if err != nil || strings.Contains(href, "\\") {
		return false, false
	}
	switch u.Scheme {
	case "", "http", "https", "mailto":
	default:
		return false, false
	}
	return u.Host != "" || u.Scheme == "http" || u.Scheme == "https", true
}

// pageData is what every page template receives.
type pageData struct {
	Title    string
	Org      string
	Identity *auth.Identity
	Path     string
	Data     any
	Summary  string // the meta description; empty means the page's entry in pageDescriptions
}

// renderHook, when set (by the package's tests), is told the name of
// every page rendered, so a test can prove that every template is used.
var renderHook func(name string)

// render executes a page into a buffer first, so a template error becomes a
// clean error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p pageData) {
	body, err := s.renderBytes(r, name, p)
	if err != nil {
		s.Log.Error("rendering page", "page", name, "err", err)
		http.Error(w, "Something went wrong on our side. Please try again later.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// renderBytes executes a page for the request r.
func (s *Server) renderBytes(r *http.Request, name string, p pageData) ([]byte, error) {
	t, err := s.views.page(name)
	if err != nil {
		return nil, err
	}
	p.Org = s.Config.OrgName
	p.Path = r.URL.Path
	if p.Summary == "" {
		p.Summary = describe(name, p.Org)
	}
	if p.Identity == nil {
		p.Identity = identityOf(r)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return nil, err
	}
	if renderHook != nil {
		renderHook(name)
	}
	return buf.Bytes(), nil
}

// serveStatic serves /static/{hash}/{file}. The hash is checked, so an old
// URL never gets a new file cached under it for a year.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	s.views.mu.Lock()
	want, ok := s.views.hashes[name]
	static := s.views.static
	s.views.mu.Unlock()
	if !ok {
		return notFound("There is no such file.")
	}
	if r.PathValue("hash") != want {
		http.Redirect(w, r, "/static/"+want+"/"+url.PathEscape(name), http.StatusFound)
		return nil
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if s.views.dev || !serveStaticCompressed(w, r, static, name, want) {
		w.Header().Set("Vary", "Accept-Encoding")
		http.ServeFileFS(w, r, static, name)
	}
	return nil
}
