package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// describeCommand is `toggl_exporter describe` and its flags.
type describeCommand struct {
	cmd    *kingpin.CmdClause
	report string
	json   bool
}

func newDescribeCommand(app *kingpin.Application) *describeCommand {
	c := &describeCommand{cmd: app.Command("describe", "Run one report once, every page, and print what Toggl sent, for a bug report: "+
		"counts, field names and header names only, never a token, name, e-mail or description.")}
	c.cmd.Flag("report", "The configured report to run.").Required().StringVar(&c.report)
	c.cmd.Flag("json", "Print the same as one JSON object.").BoolVar(&c.json)
	return c
}

// run describes the report and returns the exit code: 1 when the report is not configured
// or the run did not get to the end (what it saw is printed all the same). limits are
// the upstream etiquette to respect; nil starts afresh.
func (c *describeCommand) run(ctx context.Context, configPath string, limits *client.Limits, stdout, stderr io.Writer, now time.Time) int {
	cfg, err := config.Load(configPath, nil)
	if err != nil {
		fmt.Fprintf(stderr, "describe: %s: %v\n", configPath, err)
		return 1
	}
	var names []string
	for _, r := range cfg.Reports {
		names = append(names, r.Name)
	}
	i := slices.Index(names, c.report)
	if i < 0 {
		fmt.Fprintf(stderr, "describe: --report %q: no such report in %s (have %s)\n", c.report, configPath, strings.Join(names, ", "))
		return 1
	}
	cl := newClient(cfg, limits)
	defer cl.CloseIdleConnections()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := collector.Describe(ctx, cfg.Reports[i], cl, now)
	if c.json {
		b, _ := json.MarshalIndent(d, "", "  ") // plain values: cannot fail
		_, err = fmt.Fprintf(stdout, "%s\n", b)
	} else {
		err = d.WriteText(stdout)
	}
	if err != nil || d.Error != "" {
		return 1
	}
	return 0
}
