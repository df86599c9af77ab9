package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/results"
)

// MetricKind says which values a metric can take, so that a hypothesis no
// run could ever satisfy (availability >= 99, a ratio) is refused when the
// file is validated instead of failing the run.
type MetricKind int

const (
	// KindAny is a metric with sentinel values (-1 for "never happened")
	// or of either sign.
	KindAny MetricKind = iota
	// KindCount is a count or a non-negative quantity (a rate, seconds).
	KindCount
	// KindRatio is a share in [0, 1]; hypotheses may write it in %.
	KindRatio
	// KindLatency is a time in ms, written with a unit in hypotheses.
	KindLatency
)

// metricFamily is one row of the catalogue: a name pattern whose
// placeholders the scenario's own names fill in.
//
//	{phase}   before, during, after
//	{window}  a phase or fault<i>, one per fault
//	{client}  a load client's name, dashes as _
//	{client_} nothing, or a client's name and _ (several clients)
//	{store_}  nothing, or a store's name and _ (several stores)
//	{endpoint} an endpoint's name, dashes as _
//	{call}    call_<caller>[_<endpoint>]_to_<callee>, dashes and dots as _
//	{service_} nothing, or a service's name and _
//	{broker_} a broker's name and _
//	{fault}   fault<i>, one per fault
type metricFamily struct {
	pattern string
	kind    MetricKind
	doc     string
}

// catalogue lists every per-run metric the engines write, besides the
// per-phase summary metrics of results.SummaryMetrics. A test runs every
// built-in scenario and fails on a metric the catalogue does not name, so
// it cannot fall behind the engines.
var catalogue = []metricFamily{
	{"net_lost", KindCount, "messages the network lost (loss, black holes)"},
	{"net_refused", KindCount, "messages the network refused (a reset or a crashed peer)"},
	{"{service_}in_system_mean", KindCount, "a service's time-average number of requests present (waiting or in service) over the run: L in Little's law"},
	{"{service_}in_service_mean", KindCount, "a service's time-average number of workers doing work over the run"},
	{"{service_}queue_depth_mean", KindCount, "a service's time-average number of requests waiting over the run"},
	{"policy_violations", KindCount, "broken promises of the resilience policies (always 0 unless one is wrong)"},
	{"{client_}retry_amplification", KindCount, "a client's attempts per request (with retry)"},
	{"{client_}retries_denied", KindCount, "retries a client's budget or throttle refused"},
	{"{client_}ejections", KindCount, "instances a client's outlier detection ejected"},
	{"availability_{window}_{client}", KindRatio, "a client's share of successes in a phase, or inside the i-th fault's window (fault<i>): availability by side of a partition"},
	{"p99_ms_{phase}_{client}", KindCount, "a client's p99 in a phase, in ms (no unit)"},
	{"availability_{endpoint}", KindRatio, "an endpoint's share of successes over the run"},
	{"p99_ms_{endpoint}", KindCount, "an endpoint's p99 over the run, in ms (no unit)"},
	{"availability_{phase}_{endpoint}", KindRatio, "an endpoint's share of successes in a phase"},
	{"p99_ms_{phase}_{endpoint}", KindCount, "an endpoint's p99 in a phase, in ms (no unit)"},
	{"{call}_attempts", KindCount, "a call's attempts: every try, its retries and the mesh's included, whether sent or refused locally (an open breaker, the rate limiter, a full bulkhead)"},
	{"{call}_sent", KindCount, "a call's attempts that reached the wire: the load on the callee"},
	{"{call}_load_amplification", KindCount, "sent attempts per logical call: below 1 when breakers or bulkheads shed load"},
	{"{call}_failed", KindCount, "a call's failed calls"},
	{"{call}_short_circuited", KindCount, "a call's attempts an open breaker refused"},
	{"{call}_fallbacks", KindCount, "a call's failures answered by its fallback"},
	{"{call}_ejections", KindCount, "instances a call's outlier detection ejected"},
	{"{call}_mesh_retries", KindCount, "retries a caller's sidecar made"},
	{"{call}_amplification", KindCount, "a call's attempts per logical call: at least 1"},
	{"{store_}linearizable", KindAny, "1 if every key's history is linearizable, 0 if a key's is not, -1 undecided: no key is illegal but the checker ran out of search steps on some"},
	{"{store_}nonlinearizable_keys", KindCount, "keys whose history is not linearizable"},
	{"{store_}undecided_keys", KindCount, "keys porcupine could not decide within its budget of search steps per key (a budget in steps, not seconds, so every verdict is the same on any machine)"},
	{"{store_}unknown_ops", KindCount, "operations whose outcome the client never learned"},
	{"{store_}stale_reads", KindCount, "reads of a value that a write acknowledged before the read began had certainly overwritten (one invoked after the value's write returned)"},
	{"{store_}stale_read_ratio", KindRatio, "stale reads over successful reads"},
	{"{store_}max_k_staleness", KindCount, "the most versions a read was behind"},
	{"{store_}max_t_visibility_ms", KindCount, "the longest a missed write had been acknowledged when a stale read began, in ms"},
	{"{store_}lost_writes", KindCount, "acknowledged writes no later acknowledged write replaced that are not the key's final value (what most replicas hold after the settle time)"},
	{"{store_}divergence_at_end", KindCount, "keys on which replicas disagree at the end"},
	{"{store_}convergence_ms", KindAny, "time from the last heal until replicas agree, in ms (-1: never)"},
	{"{store_}inconsistency_window_max_ms", KindCount, "the longest a key stayed divergent, in ms"},
	{"{store_}inconsistency_window_mean_ms", KindCount, "the mean time a key stayed divergent, in ms"},
	{"{store_}inconsistency_window_p99_ms", KindCount, "the p99 time a key stayed divergent, in ms"},
	{"{store_}failover_ms_{fault}", KindAny, "Raft: from a partition that leaves a majority on one side to the first moment a replica there leads in a newer term (or keeps leading), in ms; -1 if none did before the heal"},
	{"{store_}" + LeaderFailoverMetric, KindAny, "mean time to a new leader over the faults that cut the leader off alone, in ms"},
	{"{broker_}produced", KindCount, "records produced"},
	{"{broker_}completed", KindCount, "records processed"},
	{"{broker_}dead_lettered", KindCount, "records sent to the dead-letter topic"},
	{"{broker_}unfinished", KindCount, "records not processed at the end"},
	{"{broker_}duplicates", KindCount, "records processed more than once"},
	{"{broker_}completion_p50_ms", KindCount, "p50 time from produce to processed, in ms"},
	{"{broker_}completion_p99_ms", KindCount, "p99 time from produce to processed, in ms"},
	{"{broker_}completion_max_ms", KindCount, "longest time from produce to processed, in ms"},
	{"sagas_started", KindCount, "sagas begun"},
	{"sagas_completed", KindCount, "sagas that committed every step"},
	{"sagas_compensated", KindCount, "sagas undone by their compensations"},
	{"sagas_aborted", KindCount, "sagas that failed at their first step"},
	{"sagas_stuck", KindCount, "sagas whose compensation failed"},
	{"sagas_running", KindCount, "sagas still running at the end"},
	{"duplicate_effects", KindCount, "step effects applied more than once (on steps not idempotent)"},
	{"orphaned_effects", KindCount, "steps the service applied that the orchestrator believed failed and nothing compensated"},
	{"{service_}rollout_s", KindAny, "how long a rolling update took, in s (-1: unfinished)"},
	{"{service_}rolled_back", KindAny, "1 if the rollout was rolled back"},
	{"{service_}rollback_after_s", KindCount, "when the rollback began, in s after the rollout"},
	{"cost", KindCount, "instance-hours times the price per hour"},
	{"instance_seconds", KindCount, "instances live, starting, ready or draining, integrated over the run (an instance of k times the workers counts k times)"},
	{"max_instances_seen", KindCount, "the most instances alive at once"},
	{"mean_utilization", KindRatio, "the mean busy share of the ready instances' workers"},
	{"scaling_direction_changes", KindCount, "times the autoscaler reversed direction"},
	{"slo_violation_minutes", KindCount, "minutes of intervals that broke the SLO"},
	{"time_to_recover_s", KindAny, "from the start of the first fault window to the end of the last interval that breaks the SLO, in s"},
	// Real runs only.
	{"stopped", KindAny, "1 if the stop condition ended the real run early"},
	{"stopped_at_s", KindCount, "when the stop condition ended the real run, in s"},
	{"time_scale", KindCount, "the real run's time scale"},
	{"real_settings_not_as_simulated", KindCount, "settings the real engine could not apply as simulated"},
	{"leader_changes", KindCount, "leader changes the real store's nodes reported"},
	{"real_{fault}_start_s", KindCount, "when a fault was applied in the real run, in s"},
	{"real_{fault}_end_s", KindCount, "when a fault was reverted in the real run, in s"},
	{"host_cpu_mean", KindRatio, "the machine's mean CPU use during a real run"},
	{"host_cpu_peak", KindRatio, "the machine's peak CPU use during a real run"},
	{"host_cpu_saturated", KindRatio, "the share of a real run the machine's CPUs were saturated"},
}

// CatalogueMarkdown is the metric reference of docs/scenarios.md, made
// from the catalogue (a test keeps the page in step).
func CatalogueMarkdown() string {
	var b strings.Builder
	b.WriteString("| metric | kind | phases | meaning |\n|---|---|---|---|\n")
	for _, name := range results.SummaryMetrics() {
		kind := "count"
		switch {
		case results.MetricUnit(name) == "ms":
			kind = "latency (write a unit: `800ms`)"
		case results.MetricUnit(name) != "":
			kind = results.MetricUnit(name)
		case results.IsRatio(name):
			kind = "ratio (`0.99` or `99%`)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | all, before, during, after | %s |\n", name, kind, summaryDocs[name])
	}
	for _, f := range catalogue {
		kind := map[MetricKind]string{KindAny: "number", KindCount: "count or amount", KindRatio: "ratio (`0.99` or `99%`)", KindLatency: "latency"}[f.kind]
		fmt.Fprintf(&b, "| `%s` | %s | run | %s |\n", f.pattern, kind, f.doc)
	}
	return b.String()
}

var summaryDocs = map[string]string{
	"requests":      "requests whose intended start falls in the phase",
	"ok":            "of them, those that succeeded",
	"errors":        "those that failed with an error",
	"timeouts":      "those that ran out of time",
	"rejected":      "those refused (a full queue, an open breaker, a rate limit)",
	"shed":          "those shed by admission control",
	"availability":  "ok / requests",
	"error_rate":    "1 - availability",
	"goodput":       "successes per second",
	"throughput":    "requests ended per second",
	"fast_failures": "share of the requests refused at once (rejected or shed): how much of a design's failure is fast",
	"p50":           "latency of the successful requests, from their intended start, as the client saw it (undefined when none succeeded): the headline, because a request refused at once is not a fast request",
	"p95":           "as p50",
	"p99":           "as p50",
	"max":           "as p50",
	"mean":          "as p50",
	"p50_all":       "latency of every request that ended, failures included (timeouts at their deadline, refusals at once)",
	"p95_all":       "as p50_all",
	"p99_all":       "as p50_all",
	"max_all":       "as p50_all",
	"mean_all":      "as p50_all",
}

// Metrics returns every metric name a run of this scenario may have, with
// its kind: the per-phase summary metrics and the catalogue's families with
// the scenario's names filled in. Which of them a run has depends on its
// settings (a retry, a store); a hypothesis naming one a variant lacks
// fails when judged, with that reason.
func (s *Scenario) Metrics() map[string]MetricKind {
	out := map[string]MetricKind{}
	for _, name := range results.SummaryMetrics() {
		kind := KindCount
		switch results.MetricUnit(name) {
		case "ms":
			kind = KindLatency
		case "":
			if results.IsRatio(name) {
				kind = KindRatio
			}
		}
		out[name] = kind
	}
	fill := s.placeholders()
	for _, f := range catalogue {
		for _, name := range expand(f.pattern, fill) {
			out[name] = f.kind
		}
	}
	return out
}

// placeholders gives each placeholder of the catalogue its values for s.
func (s *Scenario) placeholders() map[string][]string {
	norm := func(name string) string { return strings.NewReplacer("-", "_", ".", "_").Replace(name) }
	phases := []string{"before", "during", "after"}
	var clients, stores, services, brokers, endpoints, calls, faults []string
	for _, l := range s.Load {
		clients = append(clients, norm(l.Name))
	}
	for _, st := range s.Topology.Stores {
		stores = append(stores, norm(st.Name)+"_")
	}
	for _, b := range s.Topology.Brokers {
		brokers = append(brokers, norm(b.Name)+"_")
	}
	for _, svc := range s.Topology.Services {
		services = append(services, norm(svc.Name)+"_")
		for _, c := range svc.Calls {
			calls = append(calls, "call_"+norm(svc.Name)+"_to_"+norm(c.Service))
		}
		for _, e := range svc.Endpoints {
			endpoints = append(endpoints, norm(e.Name))
			for _, c := range e.Calls {
				calls = append(calls, "call_"+norm(svc.Name)+"_"+norm(e.Name)+"_to_"+norm(c.Service))
			}
		}
	}
	for i := range s.Faults {
		faults = append(faults, fmt.Sprintf("fault%d", i+1))
	}
	return map[string][]string{
		"{phase}":    phases,
		"{window}":   append(slices.Clone(phases), faults...),
		"{client}":   clients,
		"{client_}":  append([]string{""}, suffixed(clients)...),
		"{store_}":   append([]string{""}, stores...),
		"{service_}": append([]string{""}, services...),
		"{broker_}":  append(brokers, "events_"),
		"{endpoint}": endpoints,
		"{call}":     calls,
		"{fault}":    faults,
	}
}

func suffixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "_"
	}
	return out
}

// expand fills pattern's placeholders with every combination of values.
func expand(pattern string, fill map[string][]string) []string {
	i := strings.IndexByte(pattern, '{')
	if i < 0 {
		return []string{pattern}
	}
	j := strings.IndexByte(pattern[i:], '}') + i
	var out []string
	for _, v := range fill[pattern[i:j+1]] {
		out = append(out, expand(pattern[:i]+v+pattern[j+1:], fill)...)
	}
	return out
}

// VariantMetrics is Metrics over s and every one of its variants and sweep
// points: the names some run of s may have.
func (s *Scenario) VariantMetrics() (map[string]MetricKind, error) {
	known := s.Metrics()
	cases, err := s.Cases()
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		maps.Copy(known, c.Scenario.Metrics())
	}
	return known, nil
}

// checkHypotheses checks every hypothesis's metric against the metrics
// some variant or sweep point of s can have (a variant may add a call).
// The variants are resolved only for a metric the base scenario lacks; if
// they do not resolve, their own error is reported when they are.
func (s *Scenario) checkHypotheses() error {
	if len(s.Expect) == 0 {
		return nil
	}
	known, resolved := s.Metrics(), false
	for i, e := range s.Expect {
		h, err := ParseHypothesis(e.Check)
		if err != nil {
			return &field.Error{Path: fmt.Sprintf("expect[%d]", i), Msg: err.Error()}
		}
		if _, ok := known[h.Metric]; !ok && !resolved {
			all, err := s.VariantMetrics()
			if err != nil {
				return nil // the variant's error speaks for itself later
			}
			known, resolved = all, true
		}
		if err := s.checkMetric(h, known); err != nil {
			return &field.Error{Path: fmt.Sprintf("expect[%d].check", i), Msg: err.Error()}
		}
	}
	return nil
}

// checkMetric refuses a hypothesis on a metric this scenario cannot have,
// suggesting the nearest names, or one whose value no run could take.
func (s *Scenario) checkMetric(h Hypothesis, known map[string]MetricKind) error {
	kind, ok := known[h.Metric]
	if !ok {
		msg := fmt.Sprintf("no metric %q in this scenario", h.Metric)
		if near := nearest(h.Metric, known, 3); len(near) > 0 {
			msg += "; did you mean " + strings.Join(near, ", ") + "?"
		}
		return fmt.Errorf("%s (the metrics are listed in docs/scenarios.md)", msg)
	}
	if h.Phase != results.All && !isSummaryMetric(h.Metric) {
		return fmt.Errorf("%s is one number per run: it has no phase %s (drop %q)", h.Metric, h.Phase, h.Phase)
	}
	v := h.Value
	switch {
	case kind == KindRatio && (v < 0 || v > 1):
		return fmt.Errorf("%s is a share in [0, 1] (write %g%% for a percentage): no run can compare with %g as this asks", h.Metric, v, v)
	case (kind == KindLatency || kind == KindCount) && v < 0:
		return fmt.Errorf("%s is never negative: %g cannot be meant", h.Metric, v)
	}
	return nil
}

// nearest returns up to n known names closest to name by edit distance,
// among those close enough to be a slip of the keyboard.
func nearest(name string, known map[string]MetricKind, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	limit := max(2, len(name)/3)
	for k := range known {
		if d := editDistance(name, k); d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
