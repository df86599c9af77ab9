package reports_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faultline-sim/faultline/reports"
	"github.com/faultline-sim/faultline/scenarios"
	"github.com/faultline-sim/faultline/world"
)

// browserEnv makes the browser test fail, rather than skip, when Chromium
// is missing: CI sets it after installing Debian's chromium.
const browserEnv = "FAULTLINE_BROWSER_TESTS"

// chromium returns the path of a Chromium to drive, or skips the test (or
// fails it when browserEnv is set).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("FAULTLINE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH (apt-get install chromium, or set FAULTLINE_CHROMIUM to a Chrome binary)"
	if os.Getenv(browserEnv) == "1" {
		t.Fatalf("%s=1 but %s", browserEnv, msg)
	}
	t.Skip(msg + "; CI runs this test")
	return ""
}

// browserScenarios are the built-in scenarios whose reports the browser
// test opens: a store with linearizability checks, a service chain with
// waterfalls and many series, and an autoscaler with an SLO and cost.
var browserScenarios = []string{"partition", "cascade", "autoscale"}

// widths are a laptop's and a phone's viewport, in CSS pixels.
var widths = []int{1400, 390}

// pageCheck is what the page itself reports after every <details> is
// opened: its width against the viewport's, what sticks out, what did not
// load, and where its links point.
type pageCheck struct {
	ScrollWidth  int      `json:"scrollWidth"`
	InnerWidth   int      `json:"innerWidth"`
	Wide         []string `json:"wide"`     // elements wider than the viewport
	Scrolling    []string `json:"scroll"`   // boxes that scroll sideways
	BadImages    []string `json:"badImg"`   // images that did not load
	Links        []string `json:"links"`    // every href
	BadAnchors   []string `json:"anchors"`  // #fragments with no target
	FirstScreen  string   `json:"first"`    // the text of the first screen
	FiguresShown int      `json:"figures"`  // images on the page
	Height       int      `json:"height"`   // the page's height
	TableCells   int      `json:"cells"`    // most cells in a table row
	Headings     []string `json:"headings"` // h2 headings in order
}

// checkScript opens every folded section (so that what is folded is
// measured too) and reports a pageCheck.
const checkScript = `((vw) => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : '') + ' "' + (e.textContent || '').trim().slice(0, 40) + '"';
  const wide = [], scroll = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    const pr = e.parentElement.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !e.closest('.hscroll') && !(pr.right > vw + 1)) wide.push(name(e));
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible' && getComputedStyle(e).overflowX !== 'hidden') scroll.push(name(e));
  }
  const badImg = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  const anchors = links.filter(h => h.startsWith('#') && h.length > 1 && !document.getElementById(decodeURIComponent(h.slice(1))));
  document.querySelectorAll('details').forEach(d => d.open = false);
  const first = [];
  for (const e of document.body.querySelectorAll('h1,h2,h3,p,li,td,th,figcaption,summary')) {
    const r = e.getBoundingClientRect();
    if (r.top < window.innerHeight && r.bottom > 0 && e.children.length === 0) first.push(e.textContent.trim());
  }
  let cells = 0;
  document.querySelectorAll('tr').forEach(tr => cells = Math.max(cells, tr.children.length));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, wide: wide.slice(0, 20), scroll: scroll.slice(0, 20),
    badImg, links, anchors, first: first.join(' | '), figures: document.images.length,
    height: document.documentElement.scrollHeight, cells,
    headings: [...document.querySelectorAll('h2')].map(h => h.textContent.trim())};
})(%d)`

// TestBrowser renders the reports of three built-in scenarios in headless
// Chromium at a laptop's and a phone's width, as a user opens them: no
// horizontal overflow, every image and link resolves, no console error.
// The screenshots (the first screen and the whole page) are kept in the
// test's artifact folder: go test ./reports -run Browser -artifacts
// -outputdir DIR keeps them for a person to look at.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("runs three scenarios and a browser; not in -short")
	}
	out := t.ArtifactDir()
	t.Logf("reports and screenshots in %s", out)
	dirs := map[string]string{}
	for _, name := range browserScenarios {
		dirs[name] = writeBuiltin(t, name, filepath.Join(out, name))
	}
	b, err := startBrowser(bin, t.TempDir())
	require.NoError(t, err)
	defer b.close()
	for _, name := range browserScenarios {
		for _, w := range widths {
			t.Run(fmt.Sprintf("%s/%dpx", name, w), func(t *testing.T) {
				checkPage(t, b, dirs[name], filepath.Join(out, "shots"), name, w)
			})
		}
	}
}

// writeBuiltin runs a built-in scenario on two seeds and writes its report
// as the CLI does, artifacts included (porcupine pages where they matter).
func writeBuiltin(t *testing.T, name, dir string) string {
	t.Helper()
	sc, err := scenarios.Load(name)
	require.NoError(t, err)
	rep, err := scenarios.Execute(context.Background(), sc, world.Engine{}, scenarios.Options{
		Seeds: 2, Parallel: 2, Keep: reports.ArtifactWriter(dir, reports.KeepChecks(sc.Seed)),
	})
	require.NoError(t, err, name)
	_, err = reports.Write(dir, rep)
	require.NoError(t, err, name)
	return dir
}

func checkPage(t *testing.T, b *browser, dir, shots, name string, width int) {
	require.NoError(t, os.MkdirAll(shots, 0o755))
	require.NoError(t, b.resize(width, 900))
	page := "file://" + filepath.ToSlash(filepath.Join(dir, "index.html"))
	b.takeErrors()
	require.NoError(t, b.open(page))
	var c pageCheck
	require.NoError(t, b.eval(fmt.Sprintf(checkScript, width), &c))
	base := filepath.Join(shots, fmt.Sprintf("%s-%d", name, width))
	require.NoError(t, b.screenshot(base+"-first.png", false, 0))
	require.NoError(t, b.screenshot(base+"-full.png", true, 16000))

	assert.LessOrEqual(t, c.ScrollWidth, width, "the page scrolls sideways at %d px; wide elements: %v", width, c.Wide)
	assert.Empty(t, c.Wide, "elements wider than the %d px viewport", width)
	if width >= 1400 {
		assert.Empty(t, c.Scrolling, "boxes that scroll sideways at %d px", width)
	}
	assert.Empty(t, c.BadImages, "images that did not load")
	assert.Greater(t, c.FiguresShown, 2, "the page shows its figures")
	assert.Empty(t, c.BadAnchors, "links to a missing #anchor")
	for _, href := range c.Links {
		checkLink(t, dir, href)
	}
	assert.Empty(t, b.takeErrors(), "console errors, exceptions or failed loads")
	t.Logf("%s at %d px: %d px tall, %d figures; first screen: %.300s", name, width, c.Height, c.FiguresShown, c.FirstScreen)
}

// checkLink asserts that a link of the page resolves: an anchor (checked in
// the page) or a file in the report's folder. No link leaves the folder.
func checkLink(t *testing.T, dir, href string) {
	t.Helper()
	if strings.HasPrefix(href, "#") {
		return
	}
	u, err := url.Parse(href)
	if !assert.NoError(t, err, href) {
		return
	}
	if !assert.Empty(t, u.Scheme, "link %q leaves the report", href) {
		return
	}
	path := filepath.Join(dir, filepath.FromSlash(u.Path))
	rel, err := filepath.Rel(dir, path)
	if assert.NoError(t, err) && assert.False(t, strings.HasPrefix(rel, ".."), "link %q leaves the folder", href) {
		_, err := os.Stat(path)
		assert.NoError(t, err, "link %q", href)
	}
}
