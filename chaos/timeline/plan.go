package timeline

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/faultline-sim/faultline/scenarios"
)

// Plan writes to w what a real run of case c would do at opt's time
// scale, without starting anything or touching Toxiproxy: the system's
// processes, proxies and load (System.Plan), how the topology's links and
// each fault would be applied, the stop condition and how long it would
// last. A case that cannot run returns the error Run would (wrapping
// ErrNoRealCounterpart where that is why).
func Plan(w io.Writer, opt Options, c scenarios.Case, seed uint64, newSystem Factory) error {
	opt.Dir, opt.Log = "", nil
	r, err := prepare(opt, c, seed, newSystem)
	if err != nil {
		return err
	}
	sc, t := r.env.Scenario, r.topo
	fmt.Fprintf(w, "%s: real run at time scale %g, seed %d\n", c.Name, r.env.Scale, seed)
	r.sys.Plan(w)
	if opt.Toxiproxy == "" {
		fmt.Fprintln(w, "  toxiproxy: embedded in this process (no fault outlives it)")
	} else {
		fmt.Fprintf(w, "  toxiproxy: the server at %s\n", opt.Toxiproxy)
	}
	_, settings := t.linkPlan(sc.Topology.Links)
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
	if len(sc.Faults) == 0 {
		fmt.Fprintln(w, "  faults: none")
	}
	for i := range sc.Faults {
		f := &sc.Faults[i]
		row, _ := rowOf(f.Type) // checked by prepare
		fmt.Fprintf(w, "  faults[%d] %v .. %v: %s: %s\n", i, f.At.Round(time.Millisecond), f.End().Round(time.Millisecond), f.Label(), row.how(t, f))
	}
	for _, n := range r.env.Notes() {
		fmt.Fprintf(w, "      note: %s\n", n)
	}
	if st := sc.Stop; st != nil {
		s := st.WithDefaults()
		fmt.Fprintf(w, "  stop: when more than %g of the requests that ended in the last %v failed (at least %d of them)\n", s.ErrorRate, s.Over, s.MinRequests)
	} else {
		fmt.Fprintln(w, "  stop: no stop condition (the run lasts its schedule)")
	}
	lasts := fmt.Sprintf("  lasts: start-up (a few seconds) + load %v + its last requests (at most %v)", sc.Duration, r.topo.Drain)
	if r.topo.Settle > 0 {
		lasts += fmt.Sprintf(" + settle %v", r.topo.Settle)
	}
	fmt.Fprintln(w, lasts)
	return nil
}
