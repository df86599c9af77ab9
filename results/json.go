package results

import (
	"encoding/json"
	"math"
	"strconv"
)

// encoding/json refuses NaN and infinities, and the schema has them where
// a value is undefined: the latency of a phase in which nothing succeeded,
// an interval without a successful request, a metric that divided by zero.
// The types that can hold one write it as null, so any caller can encode
// a Run, a VariantSummary or a Report.

// jsonFloat writes f as encoding/json does (so finite values keep their
// bytes), or null when f is not finite.
func jsonFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// MarshalJSON writes the values, null where undefined.
func (s Series) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(struct {
		Name string  `json:"name"`
		Unit string  `json:"unit"`
		Step float64 `json:"step_s"`
	}{s.Name, s.Unit, s.Step})
	if err != nil {
		return nil, err
	}
	b := append(head[:len(head)-1], `,"values":[`...)
	for i, v := range s.Values {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonFloat(b, v)
	}
	return append(b, "]}"...), nil
}

// MarshalJSON writes the figures, null where undefined.
func (l Latency) MarshalJSON() ([]byte, error) {
	b := []byte(`{"p50_ms":`)
	b = jsonFloat(b, l.P50)
	b = jsonFloat(append(b, `,"p95_ms":`...), l.P95)
	b = jsonFloat(append(b, `,"p99_ms":`...), l.P99)
	b = jsonFloat(append(b, `,"max_ms":`...), l.Max)
	b = jsonFloat(append(b, `,"mean_ms":`...), l.Mean)
	return append(b, '}'), nil
}

// MarshalJSON writes the statistic, null where undefined.
func (s Stat) MarshalJSON() ([]byte, error) {
	b := []byte(`{"mean":`)
	b = jsonFloat(b, s.Mean)
	b = jsonFloat(append(b, `,"ci95_lo":`...), s.Lo)
	b = jsonFloat(append(b, `,"ci95_hi":`...), s.Hi)
	b = jsonFloat(append(b, `,"min":`...), s.Min)
	b = jsonFloat(append(b, `,"max":`...), s.Max)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(s.N), 10)
	return append(b, '}'), nil
}
