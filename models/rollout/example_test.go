package rollout_test

import (
	"fmt"

	"github.com/faultline-sim/faultline/models/rollout"
)

// The caller holds the counts and asks for a plan whenever they change;
// here every pod becomes available as soon as it is created.
func Example() {
	p, err := rollout.New(rollout.Config{}) // 25%/25%: surge 3, unavailable 2 of 10
	if err != nil {
		panic(err)
	}
	s := rollout.State{Desired: 10, Old: rollout.ReplicaSet{Pods: 10, Available: 10}}
	for {
		d := p.Plan(s)
		if d.Done {
			break
		}
		fmt.Printf("old %d new %d\n", d.Old, d.New)
		s.Old = rollout.ReplicaSet{Pods: d.Old, Available: d.Old}
		s.New = rollout.ReplicaSet{Pods: d.New, Available: d.New}
	}
	// Output:
	// old 8 new 3
	// old 5 new 5
	// old 3 new 8
	// old 0 new 10
}
