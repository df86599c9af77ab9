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
	fmt.Fprintf(w, "%s: %s x %s, %.0f s simulated each; latencies are of the successful requests (ok), and of every request that ended (all)\n\n",
		r.Scenario, plural(len(r.Variants), "variant"), plural(len(r.Seeds), "seed"), r.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tphase\trequests\tavailability %\tfast failures %\tgoodput/s\tp50 ok ms\tp99 ok ms\tmax ok ms\tp99 all ms\t")
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
			}{{"availability", "%.2f"}, {"fast_failures", "%.2f"}, {"goodput", "%.1f"}, {"p50", "%.1f"}, {"p99", "%.1f"}, {"max", "%.1f"}, {"p99_all", "%.1f"}} {
				st, _ := v.Stat(m.name, p)
				x := st.Mean
				if results.IsRatio(m.name) {
					x *= 100
				}
				row = append(row, fmt.Sprintf(m.format, x))
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
		detail := fmt.Sprintf("got %s (95%% CI %s..%s)", withUnit(v.Metric, v.Got), withUnit(v.Metric, v.Lo), withUnit(v.Metric, v.Hi))
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

// withUnit prints a metric's value with its unit: "184.6 ms", "99.2%".
func withUnit(metric string, x float64) string {
	switch {
	case results.IsRatio(metric) || strings.HasPrefix(metric, "availability_") || strings.HasSuffix(metric, "_ratio"):
		return fmt.Sprintf("%.4g%%", x*100)
	case results.MetricUnit(metric) != "":
		return fmt.Sprintf("%.4g %s", x, results.MetricUnit(metric))
	case strings.HasSuffix(metric, "_ms") || strings.Contains(metric, "_ms_"):
		return fmt.Sprintf("%.4g ms", x)
	case strings.HasSuffix(metric, "_s"):
		return fmt.Sprintf("%.4g s", x)
	}
	return fmt.Sprintf("%.4g", x)
}
