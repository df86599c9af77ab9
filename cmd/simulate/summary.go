package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/faultline-sim/faultline/results"
)

// printSummary prints one row per variant and phase, then the verdicts and
// where the report is.
func printSummary(w io.Writer, r *results.Report, index string) {
	fmt.Fprintf(w, "%s: %d variant(s) x %d seed(s), %.0fs simulated each\n\n", r.Scenario, len(r.Variants), len(r.Seeds), r.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tphase\trequests\tavailability\tgoodput/s\tp50 ms\tp99 ms\tmax ms\t")
	for i := range r.Variants {
		v := &r.Variants[i]
		for _, p := range results.Phases() {
			req, _ := v.Stat("requests", p)
			if req.Mean == 0 && p != results.All {
				continue
			}
			row := []string{v.Variant, string(p), fmt.Sprintf("%.0f", req.Mean)}
			for _, m := range []struct {
				name, format string
			}{{"availability", "%.4f"}, {"goodput", "%.1f"}, {"p50", "%.1f"}, {"p99", "%.1f"}, {"max", "%.1f"}} {
				st, _ := v.Stat(m.name, p)
				row = append(row, fmt.Sprintf(m.format, st.Mean))
			}
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
	}
	tw.Flush()
	if len(r.Verdicts) > 0 {
		fmt.Fprintln(w)
	}
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.Pass {
			mark = "FAIL"
		}
		detail := fmt.Sprintf("got %.4g (95%% CI %.4g..%.4g)", v.Got, v.Lo, v.Hi)
		if v.Reason != "" {
			detail = v.Reason
		}
		fmt.Fprintf(w, "%s  %-20s %-40s %s\n", mark, v.Variant, v.Expr, detail)
	}
	printCalibration(w, r)
	fmt.Fprintf(w, "\nreport: %s\n", index)
}

// printCalibration prints the calibration rows that have a target: the
// simulator's prediction (on the real run's schedule), the measurement,
// and whether they agree.
func printCalibration(w io.Writer, r *results.Report) {
	var rows []results.Calibration
	var stopped []string
	for _, c := range r.Calibration {
		if c.Within != nil {
			rows = append(rows, c)
		}
		if c.Target == "none: stopped early" && !slices.Contains(stopped, c.Variant) {
			stopped = append(stopped, c.Variant)
		}
	}
	for _, v := range stopped {
		fmt.Fprintf(w, "\ncalibration of %s not judged: its real run was stopped early by the scenario's stop condition\n", v)
	}
	if len(rows) == 0 {
		return
	}
	met, inRange := 0, 0
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nsim vs real\tmetric\ttime scale\tsimulated (range)\treal\ttarget\tmet\t")
	for _, c := range rows {
		name := c.Metric
		if c.Phase != results.All {
			name += " (" + string(c.Phase) + ")"
		}
		mark := "no"
		switch {
		case *c.Within:
			mark = "yes"
			met++
		case c.InSimRange:
			mark = "in seeds' range"
			inRange++
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%.4g (%.4g..%.4g)\t%.4g\t%s\t%s\t\n", c.Variant, name, c.TimeScale, c.Sim, c.SimMin, c.SimMax, c.Real, c.Target, mark)
	}
	tw.Flush()
	fmt.Fprintf(w, "calibration: %d of %d targets met against the simulated mean; %d more within the range of the simulated seeds (chance outcomes, e.g. which replica leads); %d missed\n",
		met, len(rows), inRange, len(rows)-met-inRange)
}
