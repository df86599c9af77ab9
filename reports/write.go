package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/faultline-sim/faultline/results"
)

// figureSpec is one picture of the report: its file name (without
// extension), how the page introduces it, and how it is built.
type figureSpec struct {
	base, title, caption string
	build                func(*results.Report) (figure, error)
}

// figureSpecs lists the pictures r calls for, in page order.
func figureSpecs(r *results.Report) []figureSpec {
	specs := []figureSpec{
		{"timeseries", "Time series", "One panel per series. Each line is a variant's mean over the seeds, interval by interval; the shaded bands are the fault windows. Look at how deep each line dips inside a band and how fast it comes back after it.", timeseriesFigure},
		{"latency_cdf", "Latency distribution", "Left: the share of requests that finished within a latency (log scale); a curve further left is faster. Right: the tail, one step per extra nine; a lower curve has a better tail. Dots mark p50 and p99.", cdfFigure},
		{"summary", "Summary by variant", "Key metrics per variant over the whole run and during the faults. The number on each bar is the mean over the seeds; whiskers are 95% confidence intervals, so bars whose whiskers overlap may not differ.", summaryFigure},
		{"tradeoff", "Trade-off", "Each variant as a point on the two metrics that trade against each other, with 95% confidence intervals in both directions.", tradeoffFigure},
	}
	if hasTraces(r) {
		specs = append(specs, figureSpec{"waterfall", "Request waterfalls", "Each variant's slowest sampled request, span by span: where its time went (queues, work, calls, retries). The spans of every sampled request of the first seed are in the OTLP/JSON files listed per run, for Jaeger, Grafana Tempo or any OpenTelemetry tool.", waterfallFigure})
	}
	sw := r.Sweep
	if sw == nil {
		return specs
	}
	ph := focusPhase(r)
	switch len(sw.Params) {
	case 1:
		specs = append(specs, figureSpec{"sweep", "Sweep", "Availability and p99 against the swept parameter; each point is the variant that ran that value, with its 95% confidence interval.", sweepFigure})
	case 2:
		specs = append(specs,
			figureSpec{"heatmap", "Sweep: availability", "Availability over both swept parameters; each cell names the variant that ran it.", func(r *results.Report) (figure, error) {
				return heatmapFigure(r, metricRef{"availability", ph})
			}},
			figureSpec{"heatmap_p99", "Sweep: p99 latency", "p99 latency over both swept parameters; each cell names the variant that ran it.", func(r *results.Report) (figure, error) {
				return heatmapFigure(r, metricRef{"p99", ph})
			}})
	}
	return specs
}

// Write renders r into dir (created if needed) and returns the path of
// index.html. It writes summary.json, timeseries.csv, runs.csv, a PNG and
// an SVG per picture, and index.html, which links them all.
func Write(dir string, r *results.Report) (string, error) {
	return WriteContext(context.Background(), dir, r)
}

// WriteContext is Write that stops between files once ctx is done (a
// Ctrl-C while the pictures are drawn), returning ctx's error; write into
// a Folder's Dir so that a stopped report leaves nothing half-written.
func WriteContext(ctx context.Context, dir string, r *results.Report) (string, error) {
	if r == nil {
		return "", errors.New("reports: nil report")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("reports: %w", err)
	}
	files := []struct {
		name  string
		write func(string, *results.Report) error
	}{{"summary.json", writeJSON}, {"timeseries.csv", writeSeriesCSV}, {"runs.csv", writeRunsCSV}}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := f.write(dir, r); err != nil {
			return "", fmt.Errorf("%s: %w", f.name, err)
		}
	}
	specs := figureSpecs(r)
	for _, s := range specs {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fig, err := buildFigure(r, s)
		if err == nil {
			err = writeFigure(dir, s.base, fig)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.base, err)
		}
	}
	path := filepath.Join(dir, "index.html")
	if err := writeHTML(path, r, specs); err != nil {
		return "", fmt.Errorf("index.html: %w", err)
	}
	return path, nil
}

// buildFigure builds spec's picture of r; a report without variants gets a
// picture that says so, so that the page's links still work.
func buildFigure(r *results.Report, spec figureSpec) (figure, error) {
	if len(r.Variants) == 0 {
		return noteFigure(r.Scenario+": "+strings.ToLower(spec.title), "no variants in this report"), nil
	}
	return spec.build(r)
}
