// Package search hunts for scenarios that break a hypothesis. It draws
// valid scenarios with rapid generators (service worlds and store worlds),
// checks invariants of the simulator on them, and searches a scenario's own
// hypotheses over seeds and fault timings: the first violation is shrunk
// (fewer and shorter faults, a shorter run) and written as an ordinary
// scenario file that `simulate -scenario FILE` replays exactly, in the
// spirit of TigerBeetle's VOPR and pebble's metamorphic tests. Cases and
// shrinking candidates may run several at once; what is found, and every
// count in it, is what a serial search finds.
package search
