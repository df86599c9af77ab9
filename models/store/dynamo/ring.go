package dynamo

// keyHash is a fixed hash of a key (the SplitMix64 finaliser), so that a
// key's place on the ring is the same in every run and on every machine.
func keyHash(key int) uint64 {
	x := uint64(key) + 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ringStart is the first replica of key's preference list.
func ringStart(key, replicas int) int { return int(keyHash(key) % uint64(replicas)) }

// inPreference reports whether replica i is among the n replicas of key's
// preference list on a ring of replicas.
func inPreference(key, i, n, replicas int) bool {
	d := i - ringStart(key, replicas)
	if d < 0 {
		d += replicas
	}
	return d < n
}
