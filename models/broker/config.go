package broker

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/faultline-sim/faultline/field"
	"github.com/faultline-sim/faultline/sim"
)

// Limits that come from packing identifiers into an event's two integers
// (protocol.go).
const (
	// MaxPartitions is the largest Partitions a topic may have.
	MaxPartitions = 1 << 15
	// MaxConsumers is the most consumers a group may ever have.
	MaxConsumers = 1 << 15
	// MaxPollRecordsLimit is the largest MaxPollRecords.
	MaxPollRecordsLimit = 1<<16 - 1
)

// Assignors, as Kafka's partition.assignment.strategy names them.
const (
	// AssignRange gives each consumer a run of consecutive partitions;
	// the first P mod C consumers get one more (Kafka's RangeAssignor).
	AssignRange = "range"
	// AssignRoundRobin deals partitions to consumers in turn
	// (Kafka's RoundRobinAssignor).
	AssignRoundRobin = "roundrobin"
)

// Commit modes.
const (
	// CommitAuto commits every consumer's processed positions every
	// AutoCommitInterval, and when partitions are revoked or the consumer
	// leaves (Kafka's enable.auto.commit=true).
	CommitAuto = "auto"
	// CommitRecord commits after every record handled (and resends an
	// unacknowledged commit every AutoCommitInterval).
	CommitRecord = "record"
)

// What a consumer does with a record while the downstream is out.
const (
	// OutageBlock retries the record every RetryBackoff without spending
	// its retry budget: the partition stops and lag builds (a transient
	// error).
	OutageBlock = "block"
	// OutageFail counts each attempt during the outage as a failure:
	// after MaxRetries retries the record is dead-lettered.
	OutageFail = "fail"
)

// Defaults applied by SetDefaults to fields left at zero. Durations
// follow Kafka's client defaults where Kafka has one.
const (
	DefaultPartitions         = 6
	DefaultProducers          = 1
	DefaultConsumers          = 1
	DefaultKeys               = 1024
	DefaultAcks               = "1"
	DefaultRequestTimeout     = 30 * time.Second // request.timeout.ms
	DefaultProduceRetries     = 3
	DefaultRetryBackoff       = 100 * time.Millisecond // retry.backoff.ms
	DefaultSessionTimeout     = 45 * time.Second       // session.timeout.ms
	DefaultHeartbeatInterval  = 3 * time.Second        // heartbeat.interval.ms
	DefaultRebalancePause     = time.Second
	DefaultRebalanceTimeout   = 5 * time.Minute // max.poll.interval.ms
	DefaultWorkers            = 1
	DefaultMaxPollRecords     = 500                    // max.poll.records
	DefaultFetchMaxWait       = 500 * time.Millisecond // fetch.max.wait.ms
	DefaultAutoCommitInterval = 5 * time.Second        // auto.commit.interval.ms
	DefaultMaxRetries         = 3
	DefaultRecordBytes        = 1024
)

// Config is one topic with its producers and one consumer group, as a
// scenario file describes it. The yaml tags are the scenario language's
// field names, and Validate's errors use them.
type Config struct {
	// Name names the broker's node and handlers ("broker/<name>/...").
	// Required: lower-case letters, digits and dashes.
	Name string `yaml:"name"`
	// Partitions is the topic's number of partitions P. Default 6; must
	// be in [1, 32768].
	Partitions int `yaml:"partitions"`
	// Producers is the number of producers, each on its own node.
	// Default 1; must be in [1, 1024].
	Producers int `yaml:"producers"`
	// Consumers is the number of consumers the group starts with, each
	// on its own node; SetConsumers changes it. 0 is taken as the default
	// 1; must be in [1, 32768].
	Consumers int `yaml:"consumers"`
	// RecordBytes is a record's size on the wire, in bytes; it matters
	// only on links with a bandwidth. Default 1024; must be >= 0.
	RecordBytes int `yaml:"record_bytes"`
	// Producer configures every producer.
	Producer ProducerConfig `yaml:"producer"`
	// Group configures the consumer group's membership.
	Group GroupConfig `yaml:"group"`
	// Consumer configures how each consumer fetches, processes and
	// commits.
	Consumer ConsumerConfig `yaml:"consumer"`
}

// ProducerConfig configures a producer.
type ProducerConfig struct {
	// Rate is the producer's own open-loop Poisson arrival rate, in
	// records per second, from Start until its end. 0 (the default)
	// means none: the caller drives Produce.
	Rate float64 `yaml:"rate"`
	// Keys is the number of distinct keys the open-loop schedule draws
	// from, uniformly. Default 1024; must be >= 1.
	Keys int `yaml:"keys"`
	// Acks is Kafka's acks setting: "0" (fire and forget: a record lost
	// on the way is lost) or "1" (the default: wait for the broker's ack
	// and resend on timeout, which duplicates a record whose ack was
	// lost). "all" is accepted and, with one broker, means "1".
	Acks string `yaml:"acks"`
	// RequestTimeout is how long a producer waits for an ack before it
	// resends. Default 30s; must be > 0.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Retries is how many times a record is resent after a timeout before
	// the producer gives up on it. Default 3; must be >= 0 (-1 means 0).
	Retries int `yaml:"retries"`
	// RetryBackoff is the wait between a timeout and the resend.
	// Default 100ms; must be >= 0.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
}

// GroupConfig configures the group coordinator on the broker.
type GroupConfig struct {
	// Assignor is range (the default) or roundrobin.
	Assignor string `yaml:"assignor"`
	// SessionTimeout: a member not heard from for this long is removed
	// and its partitions reassigned. Default 45s; must be > 0 and more
	// than HeartbeatInterval.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// HeartbeatInterval is how often a consumer heartbeats. Default 3s;
	// must be > 0.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// RebalancePause is the least time a rebalance stops the whole group
	// (the join and sync round trips and the revoke and assign callbacks
	// of an eager rebalance). Default 1s; must be >= 0 (-1 means 0).
	RebalancePause time.Duration `yaml:"rebalance_pause"`
	// RebalanceTimeout bounds how long the coordinator waits for every
	// member to rejoin; members that have not are removed. Default 5m;
	// must be >= RebalancePause.
	RebalanceTimeout time.Duration `yaml:"rebalance_timeout"`
}

// ConsumerConfig configures each consumer of the group.
type ConsumerConfig struct {
	// Workers is how many records a consumer processes at once, never
	// two of one partition (Kafka's per-partition order). Default 1, the
	// single-threaded poll loop; must be >= 1.
	Workers int `yaml:"workers"`
	// ServiceTime is the time to process one record, in seconds.
	// Required; its mean must be >= 0.
	ServiceTime sim.DistSpec `yaml:"service_time"`
	// MaxPollRecords is the most records one fetch returns. Default 500;
	// must be in [1, 65535].
	MaxPollRecords int `yaml:"max_poll_records"`
	// FetchMaxWait is how long the broker holds a fetch that finds no new
	// record before it answers empty. Default 500ms; must be > 0.
	FetchMaxWait time.Duration `yaml:"fetch_max_wait"`
	// RequestTimeout: a fetch unanswered for FetchMaxWait plus this long
	// is sent again. Default 30s; must be > 0.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Commit is auto (the default) or record.
	Commit string `yaml:"commit"`
	// AutoCommitInterval is the period of auto commits; with commit:
	// record, the period at which unacknowledged commits are sent again.
	// Default 5s; must be > 0.
	AutoCommitInterval time.Duration `yaml:"auto_commit_interval"`
	// ErrorRate is the probability in [0, 1] that one processing attempt
	// fails. Default 0.
	ErrorRate float64 `yaml:"error_rate"`
	// MaxRetries is how many times a failed record is retried before it
	// goes to the dead-letter topic. Default 3; must be >= 0 (-1 means 0).
	MaxRetries int `yaml:"max_retries"`
	// RetryBackoff is the wait before a failed record is retried.
	// Default 100ms; must be >= 0.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	// Outage is what a downstream outage (SetDownstream) does: block
	// (the default) or fail.
	Outage string `yaml:"outage"`
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid broker config")

// fieldErr returns a *field.Error at path, by its yaml path (e.g.
// "group.session_timeout: must be > 0, got 0s"), that matches ErrConfig
// under errors.Is.
func fieldErr(path, format string, args ...any) error {
	return &field.Error{Path: path, Msg: fmt.Sprintf(format, args...), Err: ErrConfig}
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// zeroIfNegOne turns the "-1 means 0" spelling into 0 once defaults are in.
func zeroIfNegOne[T ~int | ~int64](p *T) {
	if *p == -1 {
		*p = 0
	}
}

// SetDefaults fills every zero field that has a default; it is the one
// place defaults live. Fields whose 0 is meaningful but not the default
// (retries, rebalance_pause, max_retries) are written -1 for 0.
func (c *Config) SetDefaults() {
	setDefault(&c.Partitions, DefaultPartitions)
	setDefault(&c.Producers, DefaultProducers)
	setDefault(&c.Consumers, DefaultConsumers)
	setDefault(&c.RecordBytes, DefaultRecordBytes)
	c.Producer.setDefaults()
	c.Group.setDefaults()
	c.Consumer.setDefaults()
}

func (p *ProducerConfig) setDefaults() {
	setDefault(&p.Keys, DefaultKeys)
	setDefault(&p.Acks, DefaultAcks)
	setDefault(&p.RequestTimeout, DefaultRequestTimeout)
	setDefault(&p.Retries, DefaultProduceRetries)
	zeroIfNegOne(&p.Retries)
	setDefault(&p.RetryBackoff, DefaultRetryBackoff)
}

func (g *GroupConfig) setDefaults() {
	setDefault(&g.Assignor, AssignRange)
	setDefault(&g.SessionTimeout, DefaultSessionTimeout)
	setDefault(&g.HeartbeatInterval, DefaultHeartbeatInterval)
	setDefault(&g.RebalancePause, DefaultRebalancePause)
	zeroIfNegOne(&g.RebalancePause)
	setDefault(&g.RebalanceTimeout, DefaultRebalanceTimeout)
}

func (c *ConsumerConfig) setDefaults() {
	setDefault(&c.Workers, DefaultWorkers)
	setDefault(&c.MaxPollRecords, DefaultMaxPollRecords)
	setDefault(&c.FetchMaxWait, DefaultFetchMaxWait)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	setDefault(&c.Commit, CommitAuto)
	setDefault(&c.AutoCommitInterval, DefaultAutoCommitInterval)
	setDefault(&c.MaxRetries, DefaultMaxRetries)
	zeroIfNegOne(&c.MaxRetries)
	setDefault(&c.RetryBackoff, DefaultRetryBackoff)
	setDefault(&c.Outage, OutageBlock)
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Validate reports the first field out of range, a *field.Error. Call
// SetDefaults first.
func (c Config) Validate() error {
	switch {
	case !nameRE.MatchString(c.Name):
		return fieldErr("name", "must be lower-case letters, digits and dashes, not starting with a dash, got %q", c.Name)
	case c.Partitions < 1 || c.Partitions > MaxPartitions:
		return fieldErr("partitions", "must be in [1, %d], got %d", MaxPartitions, c.Partitions)
	case c.Producers < 1 || c.Producers > 1024:
		return fieldErr("producers", "must be in [1, 1024], got %d", c.Producers)
	case c.Consumers < 1 || c.Consumers > MaxConsumers:
		return fieldErr("consumers", "must be in [1, %d], got %d", MaxConsumers, c.Consumers)
	case c.RecordBytes < 0:
		return fieldErr("record_bytes", "must be >= 0, got %d", c.RecordBytes)
	}
	if err := c.Producer.validate(); err != nil {
		return err
	}
	if err := c.Group.validate(); err != nil {
		return err
	}
	return c.Consumer.validate()
}

func (p ProducerConfig) validate() error {
	switch {
	case !(p.Rate >= 0) || p.Rate > 1e9:
		return fieldErr("producer.rate", "must be in [0, 1e9] records/s, got %v", p.Rate)
	case p.Keys < 1:
		return fieldErr("producer.keys", "must be >= 1, got %d", p.Keys)
	case p.Acks != "0" && p.Acks != "1" && p.Acks != "all":
		return fieldErr("producer.acks", "must be \"0\", \"1\" or \"all\", got %q", p.Acks)
	case p.RequestTimeout <= 0:
		return fieldErr("producer.request_timeout", "must be > 0, got %v", p.RequestTimeout)
	case p.Retries < 0:
		return fieldErr("producer.retries", "must be >= 0 (-1 for 0), got %d", p.Retries)
	case p.RetryBackoff < 0:
		return fieldErr("producer.retry_backoff", "must be >= 0, got %v", p.RetryBackoff)
	}
	return nil
}

func (g GroupConfig) validate() error {
	switch {
	case g.Assignor != AssignRange && g.Assignor != AssignRoundRobin:
		return fieldErr("group.assignor", "must be range or roundrobin, got %q", g.Assignor)
	case g.HeartbeatInterval <= 0:
		return fieldErr("group.heartbeat_interval", "must be > 0, got %v", g.HeartbeatInterval)
	case g.SessionTimeout <= g.HeartbeatInterval:
		return fieldErr("group.session_timeout", "must be > heartbeat_interval (%v), got %v", g.HeartbeatInterval, g.SessionTimeout)
	case g.RebalancePause < 0:
		return fieldErr("group.rebalance_pause", "must be >= 0 (-1 for 0), got %v", g.RebalancePause)
	case g.RebalanceTimeout < g.RebalancePause || g.RebalanceTimeout <= 0:
		return fieldErr("group.rebalance_timeout", "must be > 0 and >= rebalance_pause (%v), got %v", g.RebalancePause, g.RebalanceTimeout)
	}
	return nil
}

func (c ConsumerConfig) validate() error {
	switch {
	case c.Workers < 1:
		return fieldErr("consumer.workers", "must be >= 1, got %d", c.Workers)
	case c.MaxPollRecords < 1 || c.MaxPollRecords > MaxPollRecordsLimit:
		return fieldErr("consumer.max_poll_records", "must be in [1, %d], got %d", MaxPollRecordsLimit, c.MaxPollRecords)
	case c.FetchMaxWait <= 0:
		return fieldErr("consumer.fetch_max_wait", "must be > 0, got %v", c.FetchMaxWait)
	case c.RequestTimeout <= 0:
		return fieldErr("consumer.request_timeout", "must be > 0, got %v", c.RequestTimeout)
	case c.Commit != CommitAuto && c.Commit != CommitRecord:
		return fieldErr("consumer.commit", "must be auto or record, got %q", c.Commit)
	case c.AutoCommitInterval <= 0:
		return fieldErr("consumer.auto_commit_interval", "must be > 0, got %v", c.AutoCommitInterval)
	case !(c.ErrorRate >= 0 && c.ErrorRate <= 1):
		return fieldErr("consumer.error_rate", "must be in [0, 1], got %v", c.ErrorRate)
	case c.MaxRetries < 0:
		return fieldErr("consumer.max_retries", "must be >= 0 (-1 for 0), got %d", c.MaxRetries)
	case c.RetryBackoff < 0:
		return fieldErr("consumer.retry_backoff", "must be >= 0, got %v", c.RetryBackoff)
	case c.Outage != OutageBlock && c.Outage != OutageFail:
		return fieldErr("consumer.outage", "must be block or fail, got %q", c.Outage)
	}
	_, err := c.serviceTime()
	return err
}

// serviceTime builds the service-time distribution, or explains why not
// under the field path consumer.service_time.
func (c ConsumerConfig) serviceTime() (sim.Dist, error) {
	const path = "consumer.service_time"
	if c.ServiceTime.Kind == "" {
		return nil, fieldErr(path, "is required: a distribution in seconds, e.g. {kind: exponential, mean: 0.01}")
	}
	d, err := c.ServiceTime.Build()
	if err != nil {
		// errors.Is sees ErrConfig and sim.ErrParam.
		fe := field.Under(path, err).(*field.Error)
		fe.Err = errors.Join(ErrConfig, err)
		return nil, fe
	}
	if !(d.Mean() >= 0) {
		return nil, fieldErr(path, "must have a mean >= 0 s, got %s", d)
	}
	return d, nil
}

// waitsForAck reports whether the producer waits for the broker's ack.
func (p ProducerConfig) waitsForAck() bool { return p.Acks != "0" }
