package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"faultline/reports/results"
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
	fmt.Fprintf(w, "\nreport: %s\n", index)
}
