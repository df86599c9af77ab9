package broker

import (
	"testing"
	"time"
)

// BenchmarkThroughput simulates 10 s of a 6-partition topic at 5000
// records/s through 3 consumers, and reports simulated records per second
// of wall time.
func BenchmarkThroughput(b *testing.B) {
	cfg := baseConfig()
	cfg.Consumers = 3
	cfg.Producer.Rate = 5000
	cfg.Consumer.ServiceTime = constant(0.0005)
	var records int64
	for b.Loop() {
		k, br := build(b, 1, cfg, time.Millisecond, 0)
		br.Start(secs(10))
		k.Run()
		records += br.Stats().Processed
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
