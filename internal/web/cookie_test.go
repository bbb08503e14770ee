package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"plenary/internal/auth"
)

// TestUndeclaredCookieIsCaught proves the hook every test server carries
// (onlyDeclaredCookies in site_test.go): a sign-in that also sets a cookie
// the inventory does not declare, the way a tracking cookie would be
// added, is reported, while the declared sign-in cookies are not. Every
// test that signs in, K1's among them, fails the same way when sign-in
// sets such a cookie.
func TestUndeclaredCookieIsCaught(t *testing.T) {
	var mu sync.Mutex
	var caught []string
	a := newAccountSite(t, siteOptions{
		UndeclaredCookie: func(name, request string) {
			mu.Lock()
			defer mu.Unlock()
			caught = append(caught, name+" at "+request)
		},
		Routes: func(s *Server) {
			// The bad variant: sign in as /login does, and add a cookie of
			// one's own with http.SetCookie, bypassing the declarations.
			s.handle("POST /test/tracking-login", auth.Public(), func(w http.ResponseWriter, r *http.Request) error {
				if err := r.ParseForm(); err != nil {
					return err
				}
				pid, err := strconv.ParseInt(r.PostForm.Get("person"), 10, 64)
				if err != nil {
					return err
				}
				if _, err := s.signIn(w, r, pid, true); err != nil {
					return err
				}
				http.SetCookie(w, &http.Cookie{Name: "plenary_tracking", Value: "uid-" + r.PostForm.Get("person"), Path: "/"})
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		},
	})
	id := a.signUp(t, "Ada", "ada@example.org")
	b := a.browser(t)
	if res := b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {testPassword}, "remember": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.Status)
	}
	mu.Lock()
	if len(caught) != 0 {
		t.Errorf("the declared sign-in cookies were reported: %q", caught)
	}
	mu.Unlock()
	if res := b.post("/test/tracking-login", url.Values{"person": {itoa(id)}}); res.Status != http.StatusNoContent {
		t.Fatalf("bad sign-in: %d %.300s", res.Status, res.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(caught, "; "); got != "plenary_tracking at POST /test/tracking-login" {
		t.Errorf("the hook reported %q, want exactly the undeclared plenary_tracking cookie", got)
	}
}

// TestCookiesAreSetOnlyFromDeclarations reads the package's own source:
// http.SetCookie and the Set-Cookie header appear only in setCookie and
// clearCookie, which take an inventory.CookieDecl (K1). The hook on every
// test server catches a cookie a test reaches; this catches one on a path
// no test takes.
func TestCookiesAreSetOnlyFromDeclarations(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name == "setCookie" || fn.Name.Name == "clearCookie" {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "http" && n.Sel.Name == "SetCookie" {
						t.Errorf("%s: %s calls http.SetCookie; set cookies with Server.setCookie and a declaration", fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.BasicLit:
					if n.Kind == token.STRING && strings.EqualFold(strings.Trim(n.Value, "\"`"), "Set-Cookie") {
						t.Errorf("%s: %s writes a Set-Cookie header; set cookies with Server.setCookie and a declaration", fset.Position(n.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}
