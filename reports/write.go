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

// picture is one figure of the report as the page shows it: its file
// name (without extension), its heading and caption, and the drawing.
type picture struct {
	base, title, caption string
	fig                  figure
}

// figureSpec builds one or more pictures of a report: a group of panels
// too tall for one picture becomes several.
type figureSpec func(*results.Report) ([]picture, error)

// one is a spec of a single picture.
func one(base, title, caption string, build func(*results.Report) (figure, error)) figureSpec {
	return func(r *results.Report) ([]picture, error) {
		f, err := build(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", base, err)
		}
		return []picture{{base, title, caption, f}}, nil
	}
}

// figureSpecs lists the pictures r calls for, in page order.
func figureSpecs(r *results.Report) []figureSpec {
	specs := []figureSpec{
		one("tradeoff", "Trade-off", tradeoffCaption(r), tradeoffFigure),
		one("summary", "Summary by design", "Key metrics per design over the whole run and during the faults. The number on each bar is the mean over the seeds; whiskers show "+intervalName(seedCount(r))+".", summaryFigure),
	}
	specs = append(specs, timeseriesSpecs(r)...)
	specs = append(specs,
		one("latency_cdf", "Latency by percentile", "Left: the latency at each percentile, one step per nine (as HdrHistogram plots it), log scale: a lower curve has a better tail. Right: the share of requests that finished within a latency (log scale); a curve further left is faster. Dots mark p50 and p99.", cdfFigure))
	if hasTraces(r) {
		specs = append(specs, one("waterfall", "Request waterfalls", "Each design's slowest sampled successful request and its slowest failed one, span by span: where the time went (queues, work, calls, retries), with the axis fitted to each request. The spans of every sampled request of the first seed are in the OTLP/JSON files listed per run, for Jaeger, Grafana Tempo or any OpenTelemetry tool.", waterfallFigure))
	}
	sw := r.Sweep
	if sw == nil {
		return specs
	}
	ph := focusPhase(r)
	switch len(sw.Params) {
	case 1:
		specs = append(specs, one("sweep", "Sweep", "Availability and p99 against the swept parameter; each point is the variant that ran that value, with "+intervalName(seedCount(r))+".", sweepFigure))
	case 2:
		specs = append(specs,
			one("heatmap", "Sweep: availability", "Availability over both swept parameters; each cell names the variant that ran it.", func(r *results.Report) (figure, error) {
				return heatmapFigure(r, metricRef{"availability", ph})
			}),
			one("heatmap_p99", "Sweep: p99 latency", "p99 latency over both swept parameters; each cell names the variant that ran it.", func(r *results.Report) (figure, error) {
				return heatmapFigure(r, metricRef{"p99", ph})
			}))
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
	var refs []figureRef
	for _, spec := range figureSpecs(r) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		pics, err := buildPictures(r, spec)
		if err != nil {
			return "", err
		}
		for _, p := range pics {
			if err := writeFigure(dir, p.base, p.fig); err != nil {
				return "", fmt.Errorf("%s: %w", p.base, err)
			}
			refs = append(refs, figureRef{ID: p.base, PNG: p.base + ".png", SVG: p.base + ".svg", Title: p.title, Caption: p.caption})
		}
	}
	path := filepath.Join(dir, "index.html")
	if err := writeHTML(path, r, refs); err != nil {
		return "", fmt.Errorf("index.html: %w", err)
	}
	return path, nil
}

// buildPictures builds spec's pictures of r; a report without variants
// gets one picture that says so, so that the page's links still work.
func buildPictures(r *results.Report, spec figureSpec) ([]picture, error) {
	pics, err := spec(r)
	if err != nil || len(r.Variants) > 0 {
		return pics, err
	}
	for i := range pics {
		pics[i].fig = noteFigure(r.Scenario+": "+strings.ToLower(pics[i].title), "no variants in this report")
	}
	return pics, nil
}
