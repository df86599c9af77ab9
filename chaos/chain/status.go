package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Sum adds up the statuses of a service's instances: counters and queues
// added, calls added per target (in the first's order), the breaker
// state the most open one.
func Sum(sts []Status) Status {
	if len(sts) == 0 {
		return Status{}
	}
	out := sts[0]
	out.Calls = append([]CallStatus(nil), sts[0].Calls...)
	for _, st := range sts[1:] {
		out.Requests += st.Requests
		out.OK += st.OK
		out.Degraded += st.Degraded
		out.Errors += st.Errors
		out.Rejected += st.Rejected
		out.RateLimited += st.RateLimited
		out.Expired += st.Expired
		out.Active += st.Active
		out.Waiting += st.Waiting
		out.Served += st.Served
		out.HeldNs += st.HeldNs
		out.ServiceNs += st.ServiceNs
		out.WorkNs += st.WorkNs
		out.CallsNs += st.CallsNs
		out.Handoffs += st.Handoffs
		out.HandoffNs += st.HandoffNs
		for j := range min(len(out.Calls), len(st.Calls)) {
			out.Calls[j] = out.Calls[j].plus(st.Calls[j])
		}
	}
	return out
}

// plus adds b's counters to a's; the breaker state is the more open one.
func (a CallStatus) plus(b CallStatus) CallStatus {
	a.Calls += b.Calls
	a.Failed += b.Failed
	a.Fallbacks += b.Fallbacks
	a.Attempts += b.Attempts
	a.Retries += b.Retries
	a.RetriesDenied += b.RetriesDenied
	a.OK += b.OK
	a.Errors += b.Errors
	a.Timeouts += b.Timeouts
	a.Rejected += b.Rejected
	a.BreakerRejected += b.BreakerRejected
	a.BulkheadRejected += b.BulkheadRejected
	a.RateLimited += b.RateLimited
	a.BackoffNs += b.BackoffNs
	a.Breaker = worse(a.Breaker, b.Breaker)
	a.BreakerTransitions += b.BreakerTransitions
	a.BulkheadActive += b.BulkheadActive
	a.BulkheadWaiting += b.BulkheadWaiting
	a.Ejections += b.Ejections
	return a
}

// Client is the caller name of the load generator in link names: the
// link "client->gateway" carries every request of the load.
const Client = "client"

// Link names the link from caller to target, e.g. "gateway->a", as the
// simulator names a call in its series and metrics.
func Link(caller, target string) string { return caller + "->" + target }

// Sample is every instance's status at one time since the start of the
// load.
type Sample struct {
	At        time.Duration `json:"at_ns"`
	Instances []Status      `json:"instances"`
}

// FetchStatus asks the instance at addr for its Status (StatusPath), with
// client, within ctx.
func FetchStatus(ctx context.Context, client *http.Client, addr string) (Status, error) {
	var st Status
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+StatusPath, nil)
	if err != nil {
		return st, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status of %s: %s", addr, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}
