package autoscale

import "testing"

func TestStepper(t *testing.T) {
	type eval struct {
		at     int
		metric float64
		want   int
	}
	tests := []struct {
		name  string
		cfg   StepConfig
		start int
		evals []eval
	}{
		{"one replica more per breach, then a 300 s cooldown",
			StepConfig{MaxReplicas: 10, HighThreshold: 70, LowThreshold: 30}, 2,
			[]eval{{0, 80, 3}, {60, 80, 3}, {300, 80, 4}, {360, 50, 4}}},
		{"the step matching the distance past the threshold applies",
			StepConfig{MaxReplicas: 20, HighThreshold: 70, LowThreshold: 30, Cooldown: 1,
				ScaleOut: []Step{{0, 1}, {10, 2}, {30, 5}}}, 2,
			[]eval{{0, 75, 3}, {60, 85, 5}, {120, 100, 10}}},
		{"scale in below the low threshold, bounded by min_replicas",
			StepConfig{MinReplicas: 2, MaxReplicas: 10, HighThreshold: 70, LowThreshold: 30, Cooldown: 1,
				ScaleIn: []Step{{0, 3}}}, 6,
			[]eval{{0, 10, 3}, {60, 10, 2}, {120, 10, 2}}},
		{"a breach must last breach_periods evaluations in a row",
			StepConfig{MaxReplicas: 10, HighThreshold: 70, LowThreshold: 30, BreachPeriods: 3, Cooldown: 1}, 2,
			[]eval{{0, 80, 2}, {60, 80, 2}, {120, 50, 2}, {180, 80, 2}, {240, 80, 2}, {300, 80, 3}}},
		{"bounded by max_replicas",
			StepConfig{MaxReplicas: 4, HighThreshold: 70, LowThreshold: 30, ScaleOut: []Step{{0, 10}}}, 2,
			[]eval{{0, 90, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewStepper(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			current := tt.start
			for _, e := range tt.evals {
				got, why := s.Evaluate(sec(e.at), current, e.metric)
				if got != e.want {
					t.Fatalf("t=%ds current=%d metric=%g: got %d (%s), want %d", e.at, current, e.metric, got, why, e.want)
				}
				current = got
			}
		})
	}
}

func TestStepConfigValidate(t *testing.T) {
	for _, c := range []StepConfig{
		{MaxReplicas: 5, HighThreshold: 30, LowThreshold: 70},
		{MaxReplicas: 0, HighThreshold: 70, LowThreshold: 30},
		{MaxReplicas: 5, HighThreshold: 70, LowThreshold: 30, ScaleOut: []Step{{0, 0}}},
	} {
		if _, err := NewStepper(c); err == nil {
			t.Errorf("NewStepper(%+v) accepted an invalid config", c)
		}
	}
}
