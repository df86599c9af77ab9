package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ruleRun sends, on a network of 5 nodes, 200 messages on each of a few
// pairs and returns when each arrived. rule configures every pair with
// cfg in one SetLinks rule; otherwise with one SetLink per pair.
func ruleRun(t *testing.T, cfg LinkConfig, rule bool, fault *LinkFault) ([]Time, *netFixture) {
	f := newNetFixture(t, 5, LinkConfig{})
	if rule {
		require.NoError(t, f.net.SetLinks(f.n, f.n, cfg))
	} else {
		for _, a := range f.n {
			for _, b := range f.n {
				if a != b {
					require.NoError(t, f.net.SetLink(a, b, cfg))
				}
			}
		}
	}
	if fault != nil {
		_, err := f.net.AddLinkFault(f.n[1], f.n[2], *fault)
		require.NoError(t, err)
	}
	pairs := [][2]NodeID{{f.n[0], f.n[1]}, {f.n[1], f.n[0]}, {f.n[1], f.n[2]}, {f.n[3], f.n[4]}}
	for i := range 200 {
		for p, pr := range pairs {
			f.send(pr[0], pr[1], 100, int64(i*len(pairs)+p))
		}
		f.k.RunUntil(f.k.Now().Add(time.Millisecond))
	}
	f.k.Run()
	arrived := make([]Time, 200*len(pairs))
	for i, ev := range f.rec.seen {
		arrived[ev.A] = f.rec.at[i]
	}
	return arrived, f
}

// TestSetLinksDrawsAsSetLinkPerPair: a rule gives each pair the draws
// (latency, jitter, loss, a fault's jitter) its own link would have given,
// so switching the topology to rules changed no run.
func TestSetLinksDrawsAsSetLinkPerPair(t *testing.T) {
	exp, err := NewExponential(0.002)
	require.NoError(t, err)
	for name, cfg := range map[string]LinkConfig{
		"constant":             {Latency: constant(t, 0.0005)},
		"exponential and loss": {Latency: exp, Loss: 0.1},
		"jitter and bandwidth": {Latency: constant(t, 0.001), Jitter: time.Millisecond, Bandwidth: 1e5},
	} {
		for _, fault := range []*LinkFault{nil, {Latency: time.Millisecond, Jitter: time.Millisecond, Loss: 0.2}} {
			perPair, _ := ruleRun(t, cfg, false, fault)
			ruled, _ := ruleRun(t, cfg, true, fault)
			assert.Equal(t, perPair, ruled, "%s, fault %v", name, fault != nil)
		}
	}
}

// TestSetLinksSharesOneLink: a rule over many nodes whose configuration
// draws nothing keeps one link for every pair; a pair gets its own only
// for a fault, and its faults stay its own.
func TestSetLinksSharesOneLink(t *testing.T) {
	k := New(1)
	net, err := NewNetwork(k, LinkConfig{})
	require.NoError(t, err)
	var nodes []NodeID
	for i := range 300 {
		nodes = append(nodes, net.AddNode(string(rune(0x100+i))))
	}
	cfg := LinkConfig{Latency: constant(t, 0.0005)}
	require.NoError(t, net.SetLinks(nodes, nodes, cfg))
	rec, id := newRecorder(k)
	for i, a := range nodes {
		net.Send(Message{From: a, To: nodes[(i+1)%len(nodes)], Deliver: Target{H: id, Kind: 1, A: int64(i)}})
	}
	k.Run()
	assert.Len(t, rec.seen, len(nodes))
	assert.Len(t, net.links, 2, "the default and the rule's: no link per pair")
	assert.Equal(t, cfg, net.Link(nodes[7], nodes[200]))
	assert.Equal(t, LinkConfig{}, net.Link(nodes[7], nodes[7]), "a node's link to itself is not the rule's")

	fid, err := net.AddLinkFault(nodes[1], nodes[2], LinkFault{Drop: true})
	require.NoError(t, err)
	assert.Len(t, net.links, 3, "the faulted pair has its own link")
	net.Send(Message{From: nodes[1], To: nodes[2], Deliver: Target{H: id, Kind: 1, A: -1}})
	net.Send(Message{From: nodes[2], To: nodes[1], Deliver: Target{H: id, Kind: 1, A: -2}})
	k.Run()
	assert.Equal(t, int64(-2), rec.seen[len(rec.seen)-1].A, "only 1->2 is dropped")
	assert.Equal(t, int64(1), net.Stats().BlackHoled)

	cfg2 := LinkConfig{Latency: constant(t, 0.001)}
	require.NoError(t, net.SetLinks(nodes, nodes, cfg2))
	assert.Equal(t, cfg2, net.Link(nodes[1], nodes[2]), "a later rule configures the pair's own link")
	assert.True(t, net.RemoveLinkFault(nodes[1], nodes[2], fid), "and keeps its fault")
	assert.False(t, net.RemoveLinkFault(nodes[2], nodes[1], fid))
}

func TestSetLinksValidates(t *testing.T) {
	f := newNetFixture(t, 2, LinkConfig{})
	assert.ErrorIs(t, f.net.SetLinks(f.n, []NodeID{7}, LinkConfig{}), ErrUnknownNode)
	assert.ErrorContains(t, f.net.SetLinks(f.n, f.n, LinkConfig{Loss: 2}), "loss must be in [0, 1]")
}
