// Command chainnode runs one service of the real service chain (package
// faultline/chaos/chain) until SIGINT or SIGTERM. The chain harness starts
// one per service:
//
//	chainnode -config gateway.yaml
//
// The file holds a chain.ServiceConfig in YAML, with listen and every
// call's addr set. Exit status 2 means a bad config; 1 that the service
// could not start or failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/faultline-sim/faultline/chaos/chain"
)

func main() {
	path := flag.String("config", "", "the service's chain.ServiceConfig as a YAML file")
	flag.Parse()
	data, err := os.ReadFile(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chainnode: -config:", err)
		os.Exit(2)
	}
	var cfg chain.ServiceConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "chainnode: -config:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "chainnode %s: serving on %s\n", cfg.Name, cfg.Listen)
	if err := chain.Serve(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "chainnode:", err)
		if errors.Is(err, chain.ErrConfig) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "chainnode %s: stopped\n", cfg.Name)
}
