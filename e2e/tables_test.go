package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// tableProblems is run in the page: it lists what makes a table of the
// page's main content hard to read at the window's width. A table wider
// than the room it has is cut off at the edge of its box (or pushes the
// page sideways); a word broken across two lines in a cell is a column
// squeezed to a few letters. A table in a .scroll box may scroll there
// on a narrow screen (allowNarrowScroll), never at desktop width.
const tableProblems = `(() => {
  const out = [];
  const narrow = window.innerWidth < 640;
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    out.push("the page is " + document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window");
  }
  for (const table of document.querySelectorAll("main table")) {
    const box = table.closest(".scroll") || table.parentElement;
    const room = box.clientWidth;
    const width = table.getBoundingClientRect().width;
    const scrolls = table.closest(".scroll") !== null;
    if (width > room + 1 && !(narrow && scrolls)) {
      out.push("a table " + Math.round(width) + "px wide has " + room + "px (" + (table.className || "no class") + ")");
    }
    const walker = document.createTreeWalker(table.tBodies[0] || table, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data;
      let prevTop = null;
      for (let i = 0; i < text.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (prevTop !== null && r.top > prevTop + 2 && /[\p{L}\p{N}]/u.test(text[i - 1]) && /[\p{L}\p{N}]/u.test(text[i])) {
          out.push("a word is broken across lines: " + JSON.stringify(text.slice(Math.max(0, i - 12), i) + "|" + text.slice(i, i + 12)));
          break;
        }
        prevTop = r.top;
      }
    }
  }
  return out;
})()`

// TestTextTablesFitTheirPage opens the demo's pages whose tables hold
// names, titles and people (the drafts, IPR disclosures, liaison
// statements, the demo's accounts on the home page, finance's payments)
// at desktop width and on a phone's, and fails when a table is cut off
// or a word in it is broken across lines: tables of text styled as
// tables of numbers (right-aligned, never wrapping) were clipped at
// 1280 pixels, with draft names wrapped every few letters.
func TestTextTablesFitTheirPage(t *testing.T) {
	findChromium(t)
	srv := startServer(t, "--demo")
	for _, size := range []struct{ w, h int }{{1280, 900}, {375, 800}} {
		t.Run(fmt.Sprintf("%dpx", size.w), func(t *testing.T) {
			b := newBrowser(t, browserOptions{Width: size.w, Height: size.h})
			// Headless Chromium keeps its window at least 500 pixels
			// wide; a phone's viewport is emulated.
			if err := chromedp.Do(b, chromedp.EmulateViewport(int64(size.w), int64(size.h))); err != nil {
				t.Fatal(err)
			}
			check := func(path, name string) {
				t.Helper()
				if err := chromedp.Do(b, chromedp.Navigate(srv.URL+path)); err != nil {
					t.Fatal(err)
				}
				waitFor(t, b, path, `document.readyState === "complete" && document.querySelector("main table") !== null`)
				problems, err := chromedp.Run(b, chromedp.Evaluate[[]string](tableProblems))
				if w, _ := chromedp.Run(b, chromedp.Evaluate[int]("window.innerWidth")); w != size.w {
					t.Fatalf("the window is %dpx wide, not %d", w, size.w)
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if len(problems) > 0 {
					t.Errorf("%s at %dpx:\n  %s", path, size.w, strings.Join(problems, "\n  "))
				}
				screenshot(t, b, fmt.Sprintf("tables-%s-%d", name, size.w))
			}
			check("/", "home")
			check("/drafts", "drafts")
			check("/ipr", "ipr")
			check("/liaisons", "liaisons")
			signIn(t, b, srv, "finance@demo.example")
			check("/admin/payments", "payments")
		})
	}
}
