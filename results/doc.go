// Package results is the one result schema that both engines produce and
// every report reads: per-run summaries split by phase, time series per
// interval, latency distributions, and their aggregation across seeds with
// confidence intervals.
//
// A Recorder aggregates as a run goes (HDR histograms and per-interval
// buckets), so memory stays bounded however long the run: no request is
// kept. The simulator feeds it in virtual time, the real engine in wall
// time since the start of the run; both give the same Run. PhasesOf is the
// one definition of a run's phases (before, during and after its faults,
// within the load) that both engines and the report use.
package results
