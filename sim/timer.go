package sim

// funcTable holds closures scheduled with AtFunc until they run.
type funcTable struct {
	fns Slab[func()]
}

func (f *funcTable) put(fn func()) int { return int(f.fns.Put(fn)) }

func (f *funcTable) take(i int) func() { return f.fns.Take(int32(i)) }

// HandleEvent runs the closure stored in slot ev.A.
func (f *funcTable) HandleEvent(ev Event) {
	if fn := f.take(int(ev.A)); fn != nil {
		fn()
	}
}
