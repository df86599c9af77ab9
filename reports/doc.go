// Package reports turns a results.Report into the files a person opens:
// time-series panels with the fault windows shaded, latency CDFs, summary
// bars with confidence intervals, a trade-off scatter, sweep heatmaps,
// summary.json, CSV, and an index.html that ties them together.
//
// Reports only read the Report: they never simulate, and the same Report
// from either engine gives the same files. Every picture is written as PNG
// (for the page) and SVG (to zoom), with one colour per variant, fixed by
// the variant's position in Report.Variants, across every picture.
package reports
