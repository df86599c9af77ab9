package dynamo

// msgKind is the type of a replica-to-replica message of the quorum store.
type msgKind uint8

const (
	msgRead       msgKind = iota // coordinator -> replica: read key
	msgReadResp                  // replica -> coordinator: its (value, version)
	msgWrite                     // coordinator -> replica: write (possibly hinted); req 0 = read repair, no ack
	msgWriteAck                  // replica -> coordinator
	msgHandoff                   // stand-in -> intended replica: a hinted write
	msgHandoffAck                // intended replica -> stand-in
	msgSync                      // anti-entropy: the sender's shared keys
	msgSyncResp                  // anti-entropy: the peer's shared keys
)

// cell is a stored value with its last-writer-wins version.
type cell struct {
	value, version int64
}

// newer reports whether c wins over d.
func (c cell) newer(d cell) bool { return c.version > d.version }

// keyed is a cell with its key, as anti-entropy ships it.
type keyed struct {
	key int
	cell
}

// message is the body of a replica-to-replica message; fields unused by a
// kind stay zero.
type message struct {
	kind    msgKind
	from    int
	req     int64 // the coordinator's request id
	key     int
	cell    cell
	hintFor int     // msgWrite, msgRead: the intended replica when sent to a stand-in, else -1
	entries []keyed // msgSync, msgSyncResp
}

// size is the message's size on the wire: a header plus each entry.
func (m *message) size() int { return 64 + 24*len(m.entries) }
