package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlabReusesFreedSlotsLastInFirstOut(t *testing.T) {
	var s Slab[string]
	a, b, c := s.Put("a"), s.Put("b"), s.Put("c")
	assert.Equal(t, []int32{0, 1, 2}, []int32{a, b, c})
	assert.Equal(t, "b", s.Take(b))
	s.Free(a)
	assert.Equal(t, a, s.Put("d"), "the slot freed last is reused first")
	assert.Equal(t, b, s.Put("e"))
	assert.Equal(t, int32(3), s.Put("f"), "a new slot once none is free")
	assert.Equal(t, "d", *s.At(a))
	assert.Equal(t, "e", *s.At(b))
	assert.Equal(t, "c", *s.At(c))
	assert.Equal(t, 4, s.Live())
	assert.Equal(t, 4, s.Len())
}

func TestSlabFreeZeroesTheValue(t *testing.T) {
	var s Slab[*int]
	x := 1
	i := s.Put(&x)
	s.Free(i)
	assert.Nil(t, *s.At(i), "a freed slot keeps nothing alive")
	j := s.Alloc()
	require.Equal(t, i, j)
	assert.Nil(t, *s.At(j), "Alloc hands out the zero value")
}

func TestSlabHandlesGoStaleWhenFreedOrReissued(t *testing.T) {
	var s Slab[int]
	i := s.Put(7)
	h := s.Handle(i)
	assert.Equal(t, Handle(1<<32|0), h, "generations start at 1")
	got, ok := s.Lookup(h)
	require.True(t, ok)
	assert.Equal(t, i, got)

	h2 := s.Reissue(i)
	assert.NotEqual(t, h, h2)
	_, ok = s.Lookup(h)
	assert.False(t, ok, "a handle from before Reissue is stale")
	_, ok = s.Lookup(h2)
	assert.True(t, ok)
	assert.Equal(t, 7, *s.At(i), "Reissue keeps the value")

	s.Free(i)
	_, ok = s.Lookup(h2)
	assert.False(t, ok, "a handle to a freed slot is stale")
	j := s.Put(8)
	require.Equal(t, i, j)
	_, ok = s.Lookup(h2)
	assert.False(t, ok, "nor does it find the slot's next value")
	_, ok = s.Lookup(s.Handle(j))
	assert.True(t, ok)
}

func TestSlabLookupRejectsHandlesItNeverGave(t *testing.T) {
	var s Slab[int]
	s.Put(1)
	for _, h := range []Handle{0, 5 << 32, 1<<32 | 1, 1<<32 | 0xffffffff} {
		_, ok := s.Lookup(h)
		assert.False(t, ok, "handle %#x", int64(h))
	}
}

func TestSlabDoubleFreePanics(t *testing.T) {
	var s Slab[int]
	i := s.Put(1)
	s.Free(i)
	assert.Panics(t, func() { s.Free(i) })
}
