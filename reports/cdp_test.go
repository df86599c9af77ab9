package reports_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// browser is headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: Chromium reads NUL-terminated JSON messages on
// fd 3 and writes its own on fd 4), one page attached in flat mode. It is
// just enough of the protocol for the browser test: navigate, evaluate,
// measure, screenshot, and collect console errors and failed loads.
type browser struct {
	cmd     *exec.Cmd
	in      *os.File // our end of Chromium's fd 3
	out     *os.File // our end of Chromium's fd 4
	profile string

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
	events  chan cdpEvent
	session string
	errs    []string // console errors, exceptions, failed loads
	done    chan struct{}
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type cdpEvent struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// browserFlags are the flags that run Chromium here: headless, no sandbox
// (we are root in a container), and nothing that reaches the network.
var browserFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
}

// startBrowser starts Chromium at path with a fresh profile in dir.
func startBrowser(path, dir string) (*browser, error) {
	profile, err := os.MkdirTemp(dir, "profile-")
	if err != nil {
		return nil, err
	}
	// Chromium's fd 3 is the read end of toChrome; its fd 4 the write end
	// of fromChrome.
	chromeIn, toChrome, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	fromChrome, chromeOut, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, append(browserFlags, "--user-data-dir="+profile, "about:blank")...)
	cmd.ExtraFiles = []*os.File{chromeIn, chromeOut}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	chromeIn.Close()
	chromeOut.Close()
	b := &browser{cmd: cmd, in: toChrome, out: fromChrome, profile: profile,
		waiting: map[int]chan cdpReply{}, events: make(chan cdpEvent, 1024), done: make(chan struct{})}
	go b.read()
	if err := b.attach(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// read dispatches Chromium's messages: replies to their callers, events of
// our page to the event channel and the error log.
func (b *browser) read() {
	defer close(b.done)
	r := bufio.NewReaderSize(b.out, 1<<20)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID        int    `json:"id"`
			SessionID string `json:"sessionId"`
			cdpReply
			cdpEvent
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.waiting[m.ID]
			delete(b.waiting, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m.cdpReply
			}
			continue
		}
		b.note(m.cdpEvent)
		select {
		case b.events <- m.cdpEvent:
		default: // nobody waits for this kind of event; the log has it
		}
	}
}

// note records the events that mean the page is broken.
func (b *browser) note(e cdpEvent) {
	var line string
	switch e.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		if json.Unmarshal(e.Params, &p) == nil && (p.Type == "error" || p.Type == "assert") {
			line = "console." + p.Type + ":"
			for _, a := range p.Args {
				line += fmt.Sprintf(" %v%s", a.Value, a.Description)
			}
		}
	case "Runtime.exceptionThrown":
		line = "exception: " + string(e.Params)
	case "Log.entryAdded":
		var p struct {
			Entry struct{ Level, Text, URL string } `json:"entry"`
		}
		if json.Unmarshal(e.Params, &p) == nil && p.Entry.Level == "error" {
			line = "log: " + p.Entry.Text + " " + p.Entry.URL
		}
	case "Network.loadingFailed":
		var p struct {
			ErrorText string `json:"errorText"`
			Canceled  bool   `json:"canceled"`
		}
		if json.Unmarshal(e.Params, &p) == nil && !p.Canceled {
			line = "load failed: " + p.ErrorText
		}
	}
	if line != "" {
		b.mu.Lock()
		b.errs = append(b.errs, line)
		b.mu.Unlock()
	}
}

// takeErrors returns the errors seen since the last call.
func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.errs
	b.errs = nil
	return out
}

// call sends a command (to the page's session once attached) and waits for
// its result.
func (b *browser) call(method string, params any, result any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	b.mu.Unlock()
	if params == nil {
		msg["params"] = struct{}{}
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case rep := <-ch:
		if rep.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, rep.Error.Message, rep.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(rep.Result, result)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: chromium exited", method)
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s: no answer in 60 s", method)
	}
}

// attach opens a page and attaches to it in flat mode, so that later
// commands go to the page by session id.
func (b *browser) attach() error {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return err
	}
	b.mu.Lock()
	b.session = att.SessionID
	b.mu.Unlock()
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := b.call(m, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// resize sets the viewport to w × h CSS pixels (a phone's if narrow).
func (b *browser) resize(w, h int) error {
	return b.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600,
	}, nil)
}

// open loads url and waits for its load event (every image loaded or
// failed).
func (b *browser) open(url string) error {
	for len(b.events) > 0 { // events of an earlier page
		<-b.events
	}
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.call("Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return errors.New("navigating to " + url + ": " + nav.ErrorText)
	}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case e := <-b.events:
			if e.Method == "Page.loadEventFired" {
				return nil
			}
		case <-timeout:
			return errors.New("no load event in 60 s for " + url)
		case <-b.done:
			return errors.New("chromium exited while loading " + url)
		}
	}
}

// eval runs a JavaScript expression and decodes its (JSON-able) value.
func (b *browser) eval(expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("script failed: %s %s", r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	return json.Unmarshal(r.Result.Value, result)
}

// screenshot writes a PNG of the page to path: the viewport, or the whole
// page down to maxHeight CSS pixels if full.
func (b *browser) screenshot(path string, full bool, maxHeight int) error {
	params := map[string]any{"format": "png"}
	if full {
		var m struct {
			CSSContentSize struct{ Width, Height float64 } `json:"cssContentSize"`
		}
		if err := b.call("Page.getLayoutMetrics", nil, &m); err != nil {
			return err
		}
		h := min(m.CSSContentSize.Height, float64(maxHeight))
		params["captureBeyondViewport"] = true
		params["clip"] = map[string]any{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": h, "scale": 1}
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := b.call("Page.captureScreenshot", params, &shot); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// close ends Chromium (the process this test started) and removes its
// profile.
func (b *browser) close() {
	b.mu.Lock()
	b.session = "" // Browser.close goes to the browser, not the page
	b.mu.Unlock()
	_ = b.call("Browser.close", nil, nil)
	b.in.Close()
	exited := make(chan struct{})
	go func() { b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-exited
	}
	b.out.Close()
	os.RemoveAll(b.profile)
}
