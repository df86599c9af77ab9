package chaos

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// linkToxic is the Toxiproxy toxic that stands for one link fault, with
// notes on where it differs from the simulator's semantics
// (scenarios/fault_<type>.go).
func linkToxic(f *scenarios.Fault) (typ string, toxicity float64, attrs map[string]any, notes []string) {
	switch f.Type {
	case "latency":
		lat, n1 := whole("latency", f.Latency)
		jit, n2 := whole("jitter", f.Jitter)
		return "latency", 1, map[string]any{"latency": lat, "jitter": jit}, append(n1, n2...)
	case "loss":
		return "timeout", f.Probability, map[string]any{"timeout": 0}, []string{fmt.Sprintf(
			"loss %g: Toxiproxy has no packet loss; a black hole (timeout toxic, timeout 0) with toxicity %g, rolled once per connection, not per message", f.Probability, f.Probability)}
	case "bandwidth":
		rate := int64(math.Round(f.Bandwidth / 1000))
		var notes []string
		if rate < 1 {
			rate = 1
		}
		if float64(rate*1000) != f.Bandwidth {
			notes = append(notes, fmt.Sprintf("bandwidth %g B/s applied as %d KB/s (Toxiproxy's rate is whole KB/s)", f.Bandwidth, rate))
		}
		notes = append(notes, "bandwidth is capped per connection and direction, not per link")
		return "bandwidth", 1, map[string]any{"rate": rate}, notes
	case "timeout":
		ms, n := whole("timeout", f.Timeout)
		return "timeout", 1, map[string]any{"timeout": ms}, n
	case "reset_peer":
		ms, n := whole("timeout", f.Timeout)
		return "reset_peer", 1, map[string]any{"timeout": ms}, append(n,
			"reset_peer resets a connection timeout after the first data it sees on it, then the connection is gone; new connections get the same")
	case "slow_close":
		ms, n := whole("delay", f.Delay)
		return "slow_close", 1, map[string]any{"delay": ms}, n
	case "slicer":
		return "slicer", 1, map[string]any{"average_size": f.AverageSize, "size_variation": f.SizeVariation,
			"delay": f.Delay.Microseconds()}, []string{"the slices' sizes vary at random by up to size_variation (the simulator halves evenly), and Toxiproxy slices the bytes of each connection, not whole messages"}
	case "limit_data":
		return "limit_data", 1, map[string]any{"bytes": f.Bytes}, nil
	}
	panic("linkToxic: not a link fault: " + f.Type) // faultKinds routes only link faults here
}

// whole rounds d to the whole milliseconds Toxiproxy takes, with a note
// when that changes it. Below 1 ms it is 0: a hop through the proxy on
// loopback already costs a few hundred microseconds.
func whole(name string, d time.Duration) (int64, []string) {
	if d > 0 && d < time.Millisecond {
		return 0, []string{fmt.Sprintf("%s %v not applied: below 1 ms (a hop through the proxy on loopback costs a few hundred µs)", name, d)}
	}
	ms := int64(math.Round(float64(d) / float64(time.Millisecond)))
	if time.Duration(ms)*time.Millisecond != d {
		return ms, []string{fmt.Sprintf("%s %v applied as %d ms (Toxiproxy takes whole milliseconds)", name, d, ms)}
	}
	return ms, nil
}

// linkFault puts the fault's toxic on every stream that carries messages
// from the nodes `from` names to those `to` names (and back with
// two_way).
func linkFault(ctx context.Context, r *run, f *scenarios.Fault, tag string, af *appliedFault) (func(stopping bool) error, error) {
	leader := func() int { return r.leaderNow(ctx) }
	from, t1, err := resolve(r.eps, r.st.Name, f.From, leader)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	to, t2, err := resolve(r.eps, r.st.Name, f.To, leader)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	af.Target = cmp.Or(t1, t2)
	cs := linkCuts(from, to, f.TwoWay)
	typ, toxicity, attrs, notes := linkToxic(f)
	af.Notes = append(af.Notes, notes...)
	as := toxicActions(cs, r.eps, tag, typ, toxicity, attrs)
	af.Actions = len(as)
	if len(as) == 0 {
		af.Notes = append(af.Notes, "no real link between the selected nodes: nothing to do")
	}
	return r.revertFunc(as), r.apply(ctx, as)
}

// linkCuts returns the directed pairs from every node of from to every
// other node of to, and back when twoWay.
func linkCuts(from, to []int, twoWay bool) []cut {
	var out []cut
	for _, a := range from {
		for _, b := range to {
			if a == b {
				continue
			}
			out = append(out, cut{a, b})
			if twoWay {
				out = append(out, cut{b, a})
			}
		}
	}
	return out
}

// linkSetting is how the real engine applied one of topology.links.
type linkSetting struct {
	Index   int      `json:"index"` // in topology.links
	From    string   `json:"from"`
	To      string   `json:"to"`
	Streams int      `json:"streams"` // proxy streams it governs (later entries take over earlier ones)
	Toxics  []string `json:"toxics,omitempty"`
	Notes   []string `json:"notes,omitempty"` // what could not be applied, or only approximately
}

// linkPlan returns the permanent toxics that stand for the scenario's
// topology.links: for every stream, the last entry that covers its
// direction gives a latency toxic (latency = the entry's one-way latency,
// jitter = its jitter) and a bandwidth toxic. Loss is not applied:
// Toxiproxy has no packet loss, and a black hole on a share of the
// connections for the whole run is not the same thing.
func linkPlan(links []scenarios.Link, eps []endpoint, store string) ([]action, []linkSetting) {
	owner := map[stream]int{}
	var order []stream
	for li, l := range links {
		from, _, err1 := resolve(eps, store, l.From, func() int { return -1 })
		to, _, err2 := resolve(eps, store, l.To, func() int { return -1 })
		if err1 != nil || err2 != nil {
			continue // services: not real, and refused before
		}
		for _, c := range linkCuts(from, to, !l.OneWay) {
			for _, s := range streamsOf(eps[c.from], eps[c.to]) {
				if _, ok := owner[s]; !ok {
					order = append(order, s)
				}
				owner[s] = li
			}
		}
	}
	settings := make([]linkSetting, len(links))
	for li, l := range links {
		settings[li] = linkSetting{Index: li, From: l.From, To: l.To}
		settings[li].Toxics, settings[li].Notes = linkToxics(l)
	}
	var out []action
	for _, s := range order {
		li := owner[s]
		settings[li].Streams++
		for _, t := range linkToxicsOf(links[li]) {
			t.proxy, t.stream = s.proxy, s.dir
			t.toxic += "-" + s.dir[:len(s.dir)-len("stream")]
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b action) int { return cmp.Compare(a.proxy+a.toxic, b.proxy+b.toxic) })
	return out, settings
}

// linkToxicsOf returns one link entry's toxics, without proxy and stream.
func linkToxicsOf(l scenarios.Link) []action {
	var out []action
	lat, jit, _ := linkLatency(l)
	if lat > 0 || jit > 0 {
		out = append(out, action{toxic: "link-latency", typ: "latency", toxicity: 1, attrs: map[string]any{"latency": lat, "jitter": jit}})
	}
	if l.Bandwidth > 0 {
		rate := max(int64(math.Round(l.Bandwidth/1000)), 1)
		out = append(out, action{toxic: "link-bandwidth", typ: "bandwidth", toxicity: 1, attrs: map[string]any{"rate": rate}})
	}
	return out
}

// linkToxics describes one entry's toxics and what of it was not applied.
func linkToxics(l scenarios.Link) (toxics, notes []string) {
	lat, jit, notes := linkLatency(l)
	if lat > 0 || jit > 0 {
		toxics = append(toxics, fmt.Sprintf("latency %d ms, jitter %d ms", lat, jit))
	}
	if l.Bandwidth > 0 {
		rate := max(int64(math.Round(l.Bandwidth/1000)), 1)
		toxics = append(toxics, fmt.Sprintf("bandwidth %d KB/s", rate))
		if float64(rate*1000) != l.Bandwidth {
			notes = append(notes, fmt.Sprintf("bytes_per_s %g applied as %d KB/s (whole KB/s)", l.Bandwidth, rate))
		}
		notes = append(notes, "bandwidth is capped per connection and direction, not per link")
	}
	if l.Loss > 0 {
		notes = append(notes, fmt.Sprintf("loss %g not applied: Toxiproxy has no packet loss", l.Loss))
	}
	return toxics, notes
}

// linkLatency maps an entry's latency distribution and jitter to
// Toxiproxy's latency and jitter (whole ms): a constant is exact, a
// uniform [min, max] is its midpoint ± half its width; other kinds are
// approximated by their mean.
func linkLatency(l scenarios.Link) (lat, jit int64, notes []string) {
	var mean, spread time.Duration
	secs := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	switch d := l.Latency; d.Kind {
	case "":
	case "constant":
		mean = secs(d.Value)
	case "uniform":
		mean, spread = secs((d.Min+d.Max)/2), secs((d.Max-d.Min)/2)
	default:
		if dist, err := d.Build(); err == nil {
			mean = secs(dist.Mean())
		}
		notes = append(notes, fmt.Sprintf("latency of kind %s approximated by its mean %v (Toxiproxy: constant plus uniform jitter)", d.Kind, mean))
	}
	if spread > 0 && l.Jitter > 0 {
		notes = append(notes, "a uniform latency plus jitter applied as one uniform jitter of the summed width")
	}
	lat, n1 := whole("latency", mean)
	jit, n2 := whole("jitter", spread+l.Jitter)
	notes = append(notes, n1...)
	notes = append(notes, n2...)
	return lat, jit, notes
}

// applyLinks puts the topology's link settings in place before the nodes
// start; the harness removes them at cleanup.
func (r *run) applyLinks(ctx context.Context) error {
	as, settings := linkPlan(r.sc.Topology.Links, r.eps, r.st.Name)
	r.links = settings
	for _, s := range settings {
		for _, n := range s.Notes {
			r.note("topology.links[%d] (%s -> %s): %s", s.Index, s.From, s.To, n)
		}
	}
	return r.apply(ctx, as)
}
