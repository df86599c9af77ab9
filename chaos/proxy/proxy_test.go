package proxy

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

// echo serves a line echo on loopback until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr string, wait time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

// TestBlackHoleAndCleanup: a timeout toxic with timeout 0 on both streams
// stops all traffic; removing it restores it; Cleanup leaves nothing.
func TestBlackHoleAndCleanup(t *testing.T) {
	api, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h := New(api, "test-blackhole-", time.Now())
	defer func() {
		if err := h.Cleanup(); err != nil {
			t.Error(err)
		}
		p, x, err := h.Remaining(ctx)
		if err != nil || p != 0 || x != 0 {
			t.Errorf("after cleanup: %d proxies, %d toxics (err %v), want none", p, x, err)
		}
	}()
	listen, err := h.Create(ctx, "a-b", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(listen, time.Second); err != nil {
		t.Fatalf("before the fault: %v", err)
	}
	for _, s := range []string{"upstream", "downstream"} {
		if err := h.AddToxic(ctx, "a-b", "cut-"+s, "timeout", s, 1, map[string]any{"timeout": 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := roundTrip(listen, 300*time.Millisecond); err == nil {
		t.Fatal("round trip through a black hole succeeded")
	}
	if _, x, _ := h.Remaining(ctx); x != 2 {
		t.Fatalf("toxics on the server = %d, want 2", x)
	}
	if err := h.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(listen, time.Second); err != nil {
		t.Fatalf("after heal: %v", err)
	}
	if err := h.SetEnabled(ctx, "a-b", false); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(listen, 300*time.Millisecond); err == nil {
		t.Fatal("round trip through a disabled proxy succeeded")
	}
	if n := len(h.Events()); n != 6 {
		t.Errorf("events = %d, want 6 (create, 2 add, 2 remove, disable): %+v", n, h.Events())
	}
}

// TestOverlappingDisablesNest: two faults that disable the same proxy
// and overlap: the first to end does not re-enable it, the second does;
// Heal re-enables a proxy whatever holds it.
func TestOverlappingDisablesNest(t *testing.T) {
	api, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h := New(api, "test-nest-", time.Now())
	defer func() {
		if err := h.Cleanup(); err != nil {
			t.Error(err)
		}
	}()
	listen, err := h.Create(ctx, "a-b", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	step := func(enabled bool, wantUp bool, what string) {
		t.Helper()
		if err := h.SetEnabled(ctx, "a-b", enabled); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		err := roundTrip(listen, 300*time.Millisecond)
		if wantUp && err != nil {
			t.Fatalf("%s: the proxy should pass traffic: %v", what, err)
		}
		if !wantUp && err == nil {
			t.Fatalf("%s: the proxy should refuse", what)
		}
	}
	step(false, false, "first fault disables")
	step(false, false, "second fault disables too")
	step(true, false, "first fault ends: the second still holds it")
	step(true, true, "second fault ends")
	step(false, false, "a third fault disables")
	step(false, false, "and a fourth")
	if err := h.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(listen, time.Second); err != nil {
		t.Fatalf("after heal: %v", err)
	}
}
