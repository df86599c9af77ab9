// Command kvnode runs one node of the real key-value store (package
// faultline/chaos/kv) until SIGINT or SIGTERM. The real engine starts one
// per replica:
//
//	kvnode -config '{"id":"kv-0","raft_bind":"127.0.0.1:7000",...}'
//
// The config is kv.NodeConfig as JSON. Exit status 2 means a bad config;
// 1 that the node could not start or failed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/faultline-sim/faultline/chaos/kv"
)

func main() {
	config := flag.String("config", "", "the node's kv.NodeConfig as JSON")
	flag.Parse()
	var cfg kv.NodeConfig
	if err := json.Unmarshal([]byte(*config), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "kvnode: -config:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := kv.Serve(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "kvnode:", err)
		os.Exit(1)
	}
}
