package client

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
)

// maxListPages bounds a listing: a server that ignored page would be asked for ever.
const listPerPage, maxListPages = 50, 200

// Listing is a request for one of a workspace's API v9 listings (saved reports, members).
type Listing struct {
	WorkspaceID int64
	Credentials Credentials   // an API token's: Toggl lists nothing to anyone else
	Timeout     time.Duration // bounds each page, as Request.Timeout; <= 0: only ctx
}

// SavedReport is one saved report of a workspace's listing. It prints without its token.
type SavedReport struct {
	ID                     int64  // 0 when the listing gave none
	Name, Token            string // Token is the report token: a secret
	Public, FixedDaterange bool
	Params                 map[string]any // the saved filters, as Toggl keeps them
}

// String renders s without its token.
func (s SavedReport) String() string {
	return fmt.Sprintf("{ID:%d Name:%q Token:%s Public:%t FixedDaterange:%t Params:%v}", s.ID, s.Name, redactedText, s.Public, s.FixedDaterange, s.Params)
}

// GoString renders s without its token.
func (s SavedReport) GoString() string { return "client.SavedReport" + s.String() }

// Member is one member of a workspace; the e-mail address is read only to be redacted.
type Member struct {
	UserID                int64 // user_id, else uid; 0 when neither came
	Name                  string
	Active                bool  // false when the listing says active: false or inactive: true
	WorkingHoursInMinutes int64 // 0 when null; its period (a day, a week) is not documented
}

// ListSharedReports lists a workspace's saved reports page by page, each a request like
// any other; one listed twice (the list moved) comes once. Errors redact the tokens too.
func (c *Client) ListSharedReports(ctx context.Context, l Listing) ([]SavedReport, error) {
	var out []SavedReport
	var tokens []string // the report tokens read so far, which every later error redacts
	seen := map[int64]bool{}
	for page := 1; page <= maxListPages; page++ {
		items, err := list(ctx, c, l, fmt.Sprintf("reports/shared?page=%d&per_page=%d", page, listPerPage), "saved reports", &tokens, savedReport)
		if err != nil {
			return nil, err
		}
		for _, s := range items {
			if s.ID == 0 || !seen[s.ID] {
				seen[s.ID] = true
				out = append(out, s)
			}
		}
		if len(items) < listPerPage {
			return out, nil
		}
	}
	return nil, &Error{Code: CodeDecode, Message: fmt.Sprintf("listing saved reports: more than %d pages of %d", maxListPages, listPerPage)}
}

// ListMembers lists a workspace's members (403 unless the token is an admin's); errors
// redact the e-mail addresses too.
func (c *Client) ListMembers(ctx context.Context, l Listing) ([]Member, error) {
	return list(ctx, c, l, "workspace_users", "workspace users", new([]string), member)
}

// list GETs {BaseURL}/api/v9/workspaces/{id}/{path}: an array (or null) of what elem
// reads, which appends to secrets what every later error must redact.
func list[T any](ctx context.Context, c *Client, l Listing, path, what string, secrets *[]string, elem func(*bodyDecoder, *[]string) (T, error)) ([]T, error) {
	u := fmt.Sprintf("%s/api/v9/workspaces/%d/%s", c.o.BaseURL, l.WorkspaceID, path)
	x := exchange{rd: func() redactor { return newRedactor(Request{Credentials: l.Credentials}, *secrets...) }, safeURL: u, timeout: l.Timeout}
	var out []T
	_, err := c.do(ctx, http.MethodGet, u, nil, l.Credentials, x, func(r io.Reader) error {
		d := newBodyDecoder(r)
		err := d.walk('[', "a JSON array of "+what, func() error {
			v, err := elem(d, secrets)
			out = append(out, v)
			return err
		})
		if err == nil && d.dec.PeekKind() != 0 {
			err = &pathError{msg: "unexpected data after the array of " + what}
		}
		if err != nil {
			return d.describe(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// savedReport reads a saved report. params may be an object or, as Toggl sends it, a
// string holding one; else it is ignored.
func savedReport(d *bodyDecoder, tokens *[]string) (SavedReport, error) {
	var s SavedReport
	err := d.fill(table{"id": &s.ID, "name": &s.Name, "token": &s.Token, "public": &s.Public, "fixed_daterange": &s.FixedDaterange,
		"params": func(d *bodyDecoder) error {
			var v any
			err := json.UnmarshalDecode(d.dec, &v, anyOptions)
			if text, ok := v.(string); ok { // anyOptions replace v, not merge into it
				_ = json.Unmarshal([]byte(text), &v, anyOptions)
			}
			s.Params, _ = v.(map[string]any)
			return err
		}})
	*tokens = append(*tokens, s.Token)
	return s, err
}

// member reads a member; the e-mail address goes to emails only.
func member(d *bodyDecoder, emails *[]string) (Member, error) {
	var m Member
	var uid int64
	var email string
	active, inactive := true, false
	err := d.fill(table{"user_id": &m.UserID, "uid": &uid, "name": &m.Name, "email": &email, "inactive": &inactive,
		"active": func(d *bodyDecoder) error { return d.nonNull(func() error { return d.into(&active) }) }, // null says nothing
		"working_hours_in_minutes": func(d *bodyDecoder) error {
			m.WorkingHoursInMinutes, _ = d.int() // undocumented: a bad value must not fail the roster
			return nil
		}})
	*emails = append(*emails, email)
	m.UserID, m.Active = cmp.Or(m.UserID, uid), active && !inactive
	if strings.Contains(m.Name, "@") {
		m.Name = "" // Toggl may name an invited user by their e-mail, which is never a label
	}
	return m, err
}
