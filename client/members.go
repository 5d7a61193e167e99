package client

import (
	"cmp"
	"context"
	"io"
)

// Member is one member of a workspace as its listing shows it (toggl-api.md, "A
// workspace's members"). The e-mail address is never kept: it is read only to be
// redacted from errors.
type Member struct {
	UserID int64 // user_id, else uid; 0 when neither came
	Name   string
	// Active is false when the listing says active: false or inactive: true.
	Active bool
	// WorkingHoursInMinutes is working_hours_in_minutes, 0 when null or absent. Toggl
	// does not document its period (a day or a week).
	WorkingHoursInMinutes int64
}

// ListMembers lists the members of a workspace: GET
// {BaseURL}/api/v9/workspaces/{id}/workspace_users, one request (the listing is not
// paged), paced, counted and backed off like any other request with the credentials.
// Toggl answers 403 to a token that is not a workspace admin's. Every error is an *Error
// with the credentials and the e-mail addresses read redacted.
func (c *Client) ListMembers(ctx context.Context, l Listing) ([]Member, error) {
	var out []Member
	var emails []string
	err := c.list(ctx, l, "workspace_users", &emails, func(r io.Reader) (err error) {
		out, err = decodeMembers(r, &emails)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// memberJSON is an element of the listing of a workspace's members.
type memberJSON struct {
	UserID   int64  `json:"user_id"`
	UID      int64  `json:"uid"`
	Name     string `json:"name"`
	Email    secret `json:"email"`
	Active   *bool  `json:"active"` // null says nothing
	Inactive bool   `json:"inactive"`
	// Undocumented and unused by the exporter: a value that is not a whole number is
	// ignored rather than failing the roster.
	WorkingHours lenient `json:"working_hours_in_minutes"`
}

// decodeMembers reads the listing of a workspace's members tolerantly; unknown fields
// are skipped. Each e-mail address read is appended to emails, and nowhere else.
func decodeMembers(r io.Reader, emails *[]string) ([]Member, error) {
	var out []Member
	err := decodeList(r, "workspace users", emails, func(w *memberJSON) {
		out = append(out, Member{UserID: cmp.Or(w.UserID, w.UID), Name: w.Name,
			Active: (w.Active == nil || *w.Active) && !w.Inactive, WorkingHoursInMinutes: int64(w.WorkingHours)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
