package discovery

import (
	"context"

	"github.com/go-kit/log/level"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
)

// listActive lists the members of a workspace who are on its roster: the active ones
// with a user id, each once.
func listActive(c *client.Client, ctx context.Context, l client.Listing) ([]client.Member, error) {
	all, err := c.ListMembers(ctx, l)
	var active []client.Member
	seen := map[int64]bool{}
	for _, m := range all {
		if m.Active && m.UserID > 0 && !seen[m.UserID] {
			seen[m.UserID] = true
			active = append(active, m)
		}
	}
	return active, err
}

// listedMembers takes in a listing of workspace ws's members, which l now holds: a good
// one becomes the workspace's roster; after a failed one, the roster listed before
// stays.
func (d *Discovery) listedMembers(ws int64, l *listing[client.Member], first bool, err error) {
	if err != nil {
		kv := []any{"msg", "cannot list the workspace's members; the roster listed before stays", "workspace_id", ws, "members", len(l.items), "err", err}
		if client.Code(err) == "403" {
			kv = append(kv, "hint", "Toggl lists a workspace's members only to its admins: is the API token an admin's?")
		}
		level.Warn(d.logger).Log(kv...)
		return
	}
	roster := make([]collector.Member, len(l.items))
	for i, m := range l.items {
		roster[i] = collector.Member{ID: m.UserID, Name: m.Name}
	}
	d.exporter.SetRoster(ws, roster)
	lvl := level.Debug
	if first || len(l.items) != l.served {
		lvl = level.Info
	}
	l.served = len(l.items)
	lvl(d.logger).Log("msg", "listed the workspace's members", "workspace_id", ws, "members", len(l.items))
}
