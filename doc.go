// Package faultline holds no code: it is the module's root, and its test
// (layers_test.go) keeps the packages in their layers. From the ground up,
// each layer imports only what is below it:
//
//	field              the one validation error (a field path and a message);
//	                   imports nothing of the project, and every layer that
//	                   validates (all below but sim) may import it
//	sim, sim/stat      the deterministic kernel; imports nothing of the project
//	                   (sim/station, the kernel's validation against queueing
//	                   theory, imports sim and sim/stat)
//	results            the result schema both engines produce; imports sim/stat
//	models/...         state machines on the kernel: sim, results, other models
//	scenarios          the language and the experiment runner: models' settings,
//	                   results, sim; never an engine
//	world, search,     the engines, siblings: the simulated world, the search
//	chaos/...          over it, and the real engine; they import the language
//	                   and the models, never each other (the search may run the
//	                   simulated world) and never the report
//	reports            pictures and files from results and the language's types
//	cmd/...            the CLI, which wires them
//	tools/...          development tools (the mutation runner); they import
//	                   nothing of the project
package faultline
