package chaos

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/chaos/chain"
	"github.com/faultline-sim/faultline/scenarios"
)

// Plan writes to w what a real run of case c would do at the engine's
// time scale, without starting anything or touching Toxiproxy: the
// processes, the proxies, how the topology's links and each fault would
// be applied, the load, the stop condition and how long it would last. A
// case the engine cannot run returns the same error Run would (wrapping
// ErrNoRealCounterpart where that is why).
func (e *Engine) Plan(w io.Writer, c scenarios.Case, seed uint64) error {
	if c.Scenario != nil && len(c.Scenario.Topology.Services) > 0 {
		return e.planChain(w, c, seed)
	}
	r, err := e.newRun(c.Scenario, seed)
	if err != nil {
		return err
	}
	st, n := r.st, r.st.Replicas
	fmt.Fprintf(w, "%s: real run at time scale %g, seed %d\n", c.Name, r.scale, seed)
	pre := "on"
	if st.Raft.PreVoteDisabled {
		pre = "off"
	}
	fmt.Fprintf(w, "  processes: %d hashicorp/raft nodes %s-0 .. %s-%d on 127.0.0.1, one OS process each (heartbeat %v, election %v, lease %v, read_mode %s, pre-vote %s)\n",
		n, st.Name, st.Name, n-1, st.Raft.HeartbeatTimeout, st.Raft.ElectionTimeout, st.Raft.LeaderLeaseTimeout, st.Raft.ReadMode, pre)
	if i := st.FirstLeaderIndex(); i >= 0 {
		fmt.Fprintf(w, "  first leader: leadership moved to %s-%d before the load starts\n", st.Name, i)
	}
	fmt.Fprintf(w, "  proxies: %d in the embedded Toxiproxy (%d raft and %d HTTP forwarding, one per direction per pair of nodes; %d from load clients)\n",
		2*n*(n-1)+len(r.clients), n*(n-1), n*(n-1), len(r.clients))
	for ci, name := range r.clients {
		l := &r.sc.Load[r.load[ci]]
		fmt.Fprintf(w, "  load: %s sends %g ops/s (open loop, peak) to %s-%d, timeout %v\n", name, l.Open.Max(), st.Name, r.via[ci], l.Timeout)
	}
	_, settings := linkPlan(r.sc.Topology.Links, r.eps, st.Name)
	for _, s := range settings {
		how := "nothing applied"
		if len(s.Toxics) > 0 {
			how = strings.Join(s.Toxics, ", ") + fmt.Sprintf(" on %d proxy streams", s.Streams)
		}
		fmt.Fprintf(w, "  topology.links[%d] %s -> %s: %s\n", s.Index, s.From, s.To, how)
		for _, note := range s.Notes {
			fmt.Fprintf(w, "      note: %s\n", note)
		}
	}
	planFaults(w, r.sc, st.Name)
	planStop(w, r.sc)
	fmt.Fprintf(w, "  lasts: start-up (a few seconds) + load %v + settle %v\n", r.sc.Duration, r.settle)
	return nil
}

// planFaults writes each fault's real window (scaled) and how it would be
// applied.
func planFaults(w io.Writer, sc *scenarios.Scenario, store string) {
	if len(sc.Faults) == 0 {
		fmt.Fprintln(w, "  faults: none")
	}
	for i := range sc.Faults {
		f := &sc.Faults[i]
		fmt.Fprintf(w, "  faults[%d] %v .. %v: %s: %s\n", i, f.At.Round(time.Millisecond), f.End().Round(time.Millisecond), f.Label(), faultHow(f, store))
	}
}

// faultHow says how the real engine applies fault f.
func faultHow(f *scenarios.Fault, store string) string {
	leader := ""
	if strings.HasSuffix(f.Isolate, scenarios.LeaderSuffix) || strings.HasSuffix(f.Target, scenarios.LeaderSuffix) {
		leader = " (the leader is whichever replica leads at the fault's start)"
	}
	switch f.Type {
	case "partition":
		if f.Mode == "refuse" {
			return "the proxies that carry the cut directions disabled (connections refused)" + leader
		}
		return "a timeout toxic (timeout 0: a black hole) on every proxy stream that carries a cut direction" + leader
	case "crash":
		return "SIGKILL to the node's process group, restarted at the end with its raft log" + leader
	case "pause":
		return "SIGSTOP to the node's process group, SIGCONT at the end" + leader
	case "window":
		return "nothing (it marks a phase)"
	}
	if _, ok := faultKinds[f.Type]; !ok {
		return "not real"
	}
	typ, toxicity, attrs, notes := linkToxic(f)
	how := fmt.Sprintf("Toxiproxy %s toxic %v, toxicity %g, on the streams from %s to %s", typ, attrs, toxicity, orAll(f.From), orAll(f.To))
	if f.TwoWay {
		how += " and back"
	}
	for _, n := range notes {
		how += "; note: " + n
	}
	return how
}

func orAll(sel string) string {
	if sel == "" {
		return "*"
	}
	return sel
}

func planStop(w io.Writer, sc *scenarios.Scenario) {
	if st := sc.Stop; st != nil {
		fmt.Fprintf(w, "  stop: when more than %g of the requests that ended in the last %v failed (at least %d of them)\n", st.ErrorRate, st.Over, st.MinRequests)
		return
	}
	fmt.Fprintln(w, "  stop: no stop condition (the run lasts its schedule)")
}

// planChain writes the plan of a service scenario's real run: the
// services as processes, their calls through proxies, the load and the
// faults on the scaled schedule.
func (e *Engine) planChain(w io.Writer, c scenarios.Case, seed uint64) error {
	scale, err := e.scale()
	if err != nil {
		return err
	}
	cfg, rc, notes, err := chainPlan(c.Scenario, seed, scale)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: real run at time scale %g, seed %d\n", c.Name, scale, seed)
	instances := map[string]int{}
	procs := 0
	for _, s := range cfg.Services {
		instances[s.Name] = max(s.Instances, 1)
		procs += max(s.Instances, 1)
	}
	proxies := instances[cfg.Services[0].Name] // the client's, one per instance of the entry service
	for _, s := range cfg.Services {
		var calls []string
		for _, call := range s.Calls {
			calls = append(calls, call.Target)
			proxies += instances[call.Target]
		}
		desc := "calls nothing"
		if len(calls) > 0 {
			desc = "calls " + strings.Join(calls, ", ")
		}
		fmt.Fprintf(w, "  service %s: %d process(es) on 127.0.0.1, %d workers each, queue limit %d, service time %s, %s\n",
			s.Name, instances[s.Name], s.Workers, s.QueueLimit, s.ServiceTime.Kind, desc)
	}
	fmt.Fprintf(w, "  processes: %d; proxies: %d in the embedded Toxiproxy (one per link per callee instance, the client's included; a caller's instances share them)\n", procs, proxies)
	retry := "no retries"
	if rc.Load.Retry != nil {
		retry = fmt.Sprintf("up to %d attempts", rc.Load.Retry.MaxAttempts)
	}
	balancer := rc.Load.Balancer
	if balancer == "" {
		balancer = chain.RoundRobin
	}
	if od := rc.Load.OutlierDetection; od != nil {
		balancer += fmt.Sprintf(" with outlier detection (%d failures in a row eject for %v, sweeps every %v)", od.ConsecutiveErrors, od.BaseEjectionTime, od.Interval)
	}
	fmt.Fprintf(w, "  load: %g req/s (open loop) to %s for %v, timeout %v, %s, %s\n", rc.Load.Rate, cfg.Services[0].Name, rc.Load.Duration, rc.Load.Timeout, retry, balancer)
	if len(rc.Faults) == 0 {
		fmt.Fprintln(w, "  faults: none")
	}
	for _, f := range rc.Faults {
		what := f.Link
		switch {
		case f.Service != "":
			what = f.Service
		case f.Type != chain.FaultDown:
			f.SetDefaults()
			what += " (" + f.Stream + ")"
		}
		if len(f.Instances) > 0 {
			what += fmt.Sprintf(" to instances %v", f.Instances)
		}
		attrs := ""
		if len(f.Attributes) > 0 {
			attrs = fmt.Sprintf(" %v", f.Attributes)
		}
		fmt.Fprintf(w, "  fault %v .. %v: %s on %s%s\n", f.At.Round(time.Millisecond), (f.At + f.For).Round(time.Millisecond), f.Type, what, attrs)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "      note: %s\n", n)
	}
	planStop(w, c.Scenario)
	fmt.Fprintf(w, "  lasts: start-up (a few seconds) + load %v + the last requests' timeout\n", rc.Load.Duration)
	return nil
}
