package hostcpu

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// read parses the first line of /proc/stat: "cpu user nice system idle
// iowait irq softirq steal ...". Idle and iowait are not busy.
func read() (counters, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return counters{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return counters{}, false
	}
	return parse(sc.Text())
}

func parse(line string) (counters, bool) {
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return counters{}, false
	}
	var c counters
	for i, f := range fields[1:] {
		if i >= 8 { // guest times are already counted in user and nice
			break
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return counters{}, false
		}
		c.total += v
		if i != 3 && i != 4 { // idle, iowait
			c.busy += v
		}
	}
	return c, true
}
