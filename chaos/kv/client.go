package kv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/models/store"
)

// Client sends operations to one node's HTTP API (or a proxy in front of
// it) and classifies the answers as store.Outcome.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client of the node (or proxy) at addr, host:port.
func NewClient(addr string) *Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &Client{base: "http://" + addr, http: &http.Client{Transport: tr}}
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Do runs op with the deadline of ctx. out is the value read (Get) or 1/0
// (CAS swapped or not), valid when the outcome is store.OK. A refused
// connection or a 503 is store.Failed (not applied); a timeout, a broken
// connection or any other answer is store.Unknown.
func (c *Client) Do(ctx context.Context, op store.Op) (out int64, o store.Outcome) {
	var req *http.Request
	var err error
	switch op.Kind {
	case store.Get:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/kv/%d", c.base, op.Key), nil)
	case store.Put:
		req, err = http.NewRequestWithContext(ctx, http.MethodPut, fmt.Sprintf("%s/kv/%d", c.base, op.Key), strings.NewReader(strconv.FormatInt(op.Value, 10)))
	case store.CAS:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/cas/%d?expect=%d&new=%d", c.base, op.Key, op.Expect, op.Value), nil)
	}
	if err != nil || req == nil {
		return 0, store.Failed
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if isRefused(err) {
			return 0, store.Failed
		}
		return 0, store.Unknown
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	switch {
	case err != nil:
		return 0, store.Unknown
	case resp.StatusCode == http.StatusServiceUnavailable:
		return 0, store.Failed
	case resp.StatusCode != http.StatusOK:
		return 0, store.Unknown
	case op.Kind == store.Put:
		return 0, store.OK
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
	if err != nil {
		return 0, store.Unknown
	}
	return v, store.OK
}

// Status asks the node for its view of the cluster.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	return st, c.getJSON(ctx, "/status", &st)
}

// Dump returns the node's applied state.
func (c *Client) Dump(ctx context.Context) (map[int]int64, error) {
	m := map[int]int64{}
	return m, c.getJSON(ctx, "/dump", &m)
}

// TransferLeadership asks the node, which must lead, to hand leadership
// to the node with that id (raft's LeadershipTransferToServer), and
// waits for raft to say whether it did.
func (c *Client) TransferLeadership(ctx context.Context, id string) error {
	return c.request(ctx, http.MethodPost, "/transfer/"+id, nil)
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	return c.request(ctx, http.MethodGet, path, v)
}

// request sends a control request to the node and decodes its JSON answer
// into v (unless v is nil); an answer other than 200 is an error with its
// status and the start of its body.
func (c *Client) request(ctx context.Context, method, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
