package client

import (
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

// decodeMembers reads the listing of a workspace's members tolerantly; unknown fields
// are skipped. Each e-mail address read is appended to emails, and nowhere else.
func decodeMembers(r io.Reader, emails *[]string) ([]Member, error) {
	var out []Member
	err := decodeArray(r, "workspace users", func(d *bodyDecoder) error {
		m := Member{Active: true}
		var uid int64
		err := d.object(false, func(name []byte) (err error) {
			var b bool
			switch string(name) {
			case "user_id":
				m.UserID, err = d.int()
			case "uid":
				uid, err = d.int()
			case "name":
				m.Name, err = d.str()
			case "email":
				var e string
				e, err = d.str()
				*emails = append(*emails, e)
			case "active":
				if d.dec.PeekKind() != 'n' { // null says nothing
					b, err = d.bool()
					m.Active = m.Active && b
				}
			case "inactive":
				b, err = d.bool()
				m.Active = m.Active && !b
			case "working_hours_in_minutes":
				// Undocumented and unused by the exporter: a value that is not a whole
				// number is ignored rather than failing the roster.
				m.WorkingHoursInMinutes, _ = d.int()
			}
			return err
		})
		if m.UserID == 0 {
			m.UserID = uid
		}
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
