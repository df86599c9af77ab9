package timeline

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/faultline-sim/faultline/chaos/proxy"
	"github.com/faultline-sim/faultline/scenarios"
)

// toxicFunc returns the Toxiproxy toxic that stands for a link fault of
// its type, with notes on where it differs from the simulator's semantics
// (scenarios/fault_<type>.go). Each link fault type's row in faultTable
// has one.
type toxicFunc func(f *scenarios.Fault) (typ string, toxicity float64, attrs map[string]any, notes []string)

func latencyToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	lat, n1 := whole("latency", f.Latency)
	jit, n2 := whole("jitter", f.Jitter)
	return proxy.ToxicLatency, 1, map[string]any{"latency": lat, "jitter": jit}, append(n1, n2...)
}

func lossToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	return proxy.ToxicTimeout, f.Probability, map[string]any{"timeout": 0}, []string{fmt.Sprintf(
		"loss %g: Toxiproxy has no packet loss; a black hole (timeout toxic, timeout 0) with toxicity %g, rolled once per connection, not per message", f.Probability, f.Probability)}
}

func bandwidthToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	rate := int64(math.Round(f.Bandwidth / 1000))
	var notes []string
	if rate < 1 {
		rate = 1
	}
	if float64(rate*1000) != f.Bandwidth {
		notes = append(notes, fmt.Sprintf("bandwidth %g B/s applied as %d KB/s (Toxiproxy's rate is whole KB/s)", f.Bandwidth, rate))
	}
	notes = append(notes, "bandwidth is capped per connection and direction, not per link")
	return proxy.ToxicBandwidth, 1, map[string]any{"rate": rate}, notes
}

func timeoutToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	ms, n := whole("timeout", f.Timeout)
	return proxy.ToxicTimeout, 1, map[string]any{"timeout": ms}, n
}

func resetPeerToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	ms, n := whole("timeout", f.Timeout)
	return proxy.ToxicResetPeer, 1, map[string]any{"timeout": ms}, append(n,
		"reset_peer resets a connection timeout after the first data it sees on it, then the connection is gone; new connections get the same")
}

func slowCloseToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	ms, n := whole("delay", f.Delay)
	return proxy.ToxicSlowClose, 1, map[string]any{"delay": ms}, n
}

func slicerToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	return proxy.ToxicSlicer, 1, map[string]any{"average_size": f.AverageSize, "size_variation": f.SizeVariation,
		"delay": f.Delay.Microseconds()}, []string{"the slices' sizes vary at random by up to size_variation (the simulator halves evenly), and Toxiproxy slices the bytes of each connection, not whole messages"}
}

func limitDataToxic(f *scenarios.Fault) (string, float64, map[string]any, []string) {
	return proxy.ToxicLimitData, 1, map[string]any{"bytes": f.Bytes}, nil
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

// directed returns the cut of a fault from the nodes of from to those of
// to (a node never to itself), and back when twoWay.
func directed(from, to []int, twoWay bool) func(a, b int) bool {
	return func(a, b int) bool {
		return a != b && (slices.Contains(from, a) && slices.Contains(to, b) || twoWay && slices.Contains(from, b) && slices.Contains(to, a))
	}
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
func (t *topo) linkPlan(links []scenarios.Link) ([]Change, []linkSetting) {
	owner := map[stream]int{}
	var order []stream
	for li, l := range links {
		from, ok1 := t.match(l.From)
		to, ok2 := t.match(l.To)
		if !ok1 || !ok2 {
			continue // names nothing real: not applied (the setting says so)
		}
		full, partial := t.crossing(directed(from, to, !l.OneWay))
		for _, s := range append(full, partial...) {
			if _, ok := owner[s]; !ok {
				order = append(order, s)
			}
			owner[s] = li
		}
	}
	settings := make([]linkSetting, len(links))
	for li, l := range links {
		settings[li] = linkSetting{Index: li, From: l.From, To: l.To}
		settings[li].Toxics, settings[li].Notes = linkToxics(l)
		_, ok1 := t.match(l.From)
		_, ok2 := t.match(l.To)
		if !ok1 || !ok2 {
			settings[li].Notes = append(settings[li].Notes, "not applied: it names nothing of the real system")
		}
	}
	var out []Change
	for _, s := range order {
		li := owner[s]
		settings[li].Streams++
		for _, a := range linkToxicsOf(links[li]) {
			a.Proxy, a.Stream = t.Links[s.link].Name, s.dir
			a.Toxic += "-" + s.dir[:len(s.dir)-len("stream")]
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return cmp.Compare(a.Proxy+a.Toxic, b.Proxy+b.Toxic) })
	return out, settings
}

// linkToxicsOf returns one link entry's toxics, without proxy and stream.
func linkToxicsOf(l scenarios.Link) []Change {
	var out []Change
	lat, jit, _ := linkLatency(l)
	if lat > 0 || jit > 0 {
		out = append(out, Change{Toxic: "link-latency", Type: proxy.ToxicLatency, Toxicity: 1, Attrs: map[string]any{"latency": lat, "jitter": jit}})
	}
	if l.Bandwidth > 0 {
		rate := max(int64(math.Round(l.Bandwidth/1000)), 1)
		out = append(out, Change{Toxic: "link-bandwidth", Type: proxy.ToxicBandwidth, Toxicity: 1, Attrs: map[string]any{"rate": rate}})
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

// applyLinks puts the topology's link settings in place before the
// system starts; the harness removes them at cleanup.
func (r *run) applyLinks(ctx context.Context) error {
	as, settings := r.topo.linkPlan(r.env.Scenario.Topology.Links)
	r.links = settings
	for _, s := range settings {
		for _, n := range s.Notes {
			r.env.Note("topology.links[%d] (%s -> %s): %s", s.Index, s.From, s.To, n)
		}
	}
	return r.changes.apply(ctx, as)
}
