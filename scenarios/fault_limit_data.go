package scenarios

import "fmt"

// FaultLimitData closes the connections on links after a number of bytes.
const FaultLimitData FaultType = "limit_data"

func init() {
	register(&FaultSpec{
		Type:    FaultLimitData,
		Targets: linkTargets,
		Params: []FaultParam{
			{Name: "bytes", Meaning: "the bytes a connection may carry before it is closed", Unit: "bytes", Default: "required", Allowed: "> 0"},
		},
		Sim:  "A connection on the targeted links carries at most bytes: the message that would pass the limit is cut, so it fails (the sender gets a connection reset after about one round trip), and the next message opens a new connection with a fresh count (one connection per direction of a link).",
		Real: "Toxiproxy limit_data toxic (bytes), which closes each connection once it has carried that many bytes.",
		check: func(f *Fault) error {
			if err := checkLinkTargets(f); err != nil {
				return err
			}
			if f.Bytes <= 0 {
				return mustBe("bytes", "be > 0, got %d", f.Bytes)
			}
			return nil
		},
		label: func(f *Fault) string { return fmt.Sprintf("%s %dB %s", f.Type, f.Bytes, linkLabel(f)) },
	})
}
