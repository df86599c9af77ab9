package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"
)

var embedded struct {
	once sync.Once
	addr string
	err  error
}

// Embedded starts, once per process, a Toxiproxy server on a free
// loopback port and returns its API address (host:port). The server runs
// until the process exits: Toxiproxy's Listen cannot be stopped, and it
// exits the process on a bind error, so the port is picked free just
// before.
func Embedded() (string, error) {
	embedded.once.Do(func() { embedded.addr, embedded.err = startEmbedded() })
	return embedded.addr, embedded.err
}

func startEmbedded() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("toxiproxy: pick a port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	// Some toxics (bandwidth) log through zerolog's global logger at
	// trace level: silence it too, the server being in our process.
	zlog.Logger = zerolog.Nop()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.New(io.Discard).Level(zerolog.Disabled))
	go srv.Listen("127.0.0.1", strconv.Itoa(port))
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.Get("http://" + addr + "/version")
		if err == nil {
			_ = resp.Body.Close()
			return addr, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "", fmt.Errorf("toxiproxy: embedded server on %s did not answer within 5s", addr)
}
