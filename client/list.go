package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-json-experiment/json"
)

const (
	// listPerPage is the page size asked of the listing of saved reports.
	listPerPage = 50
	// maxListPages bounds a listing: a server that ignored page would else be asked for
	// ever. 200 pages are 10,000 saved reports.
	maxListPages = 200
)

// Listing is a request for one of a workspace's API v9 listings (its saved reports, its
// members).
type Listing struct {
	WorkspaceID int64
	// Credentials are an API token's: Toggl lists nothing to anyone else.
	Credentials Credentials
	// Timeout bounds each request of the listing (each page), not the whole listing, so
	// that a long listing is not cut off; <= 0 leaves it to ctx.
	Timeout time.Duration
}

// SavedReport is one saved report as a workspace's listing shows it (toggl-api.md,
// "Listing a workspace's saved reports"). It prints with its token redacted.
type SavedReport struct {
	ID             int64 // 0 when the listing gave none
	Name           string
	Token          string // the report token: a secret
	Public         bool
	FixedDaterange bool
	Params         map[string]any // the saved filters, as Toggl keeps them
}

// String renders s without its token.
func (s SavedReport) String() string {
	return fmt.Sprintf("{ID:%d Name:%q Token:%s Public:%t FixedDaterange:%t Params:%v}", s.ID, s.Name, redactedText, s.Public, s.FixedDaterange, s.Params)
}

// GoString renders s without its token.
func (s SavedReport) GoString() string { return "client.SavedReport" + s.String() }

// ListSharedReports lists the saved reports of a workspace: GET
// {BaseURL}/api/v9/workspaces/{id}/reports/shared, page by page (per_page=50) until a
// page is short or empty. Each page is one request, paced, counted and backed off
// through the same limits as the reports sent with the credentials. A report listed
// twice (the list moved between pages) comes once; reports without an id all come. Every
// error is an *Error, with the credentials and the listed report tokens redacted.
func (c *Client) ListSharedReports(ctx context.Context, l Listing) ([]SavedReport, error) {
	var (
		out    []SavedReport
		tokens []string // the report tokens read so far, which every later error redacts
		seen   = map[int64]bool{}
	)
	for page := 1; page <= maxListPages; page++ {
		var items []SavedReport
		err := c.list(ctx, l, fmt.Sprintf("reports/shared?page=%d&per_page=%d", page, listPerPage), &tokens, func(r io.Reader) (err error) {
			items, err = decodeListing(r, &tokens)
			return err
		})
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

// list sends one request of l, GET {BaseURL}/api/v9/workspaces/{id}/{path}, within
// l.Timeout, and hands the body to read. Its errors redact the credentials and the
// secrets read so far.
func (c *Client) list(ctx context.Context, l Listing, path string, secrets *[]string, read func(io.Reader) error) error {
	if l.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Timeout)
		defer cancel()
	}
	u := fmt.Sprintf("%s/api/v9/workspaces/%d/%s", c.o.BaseURL, l.WorkspaceID, path)
	x := exchange{rd: func() redactor { return newRedactor(Request{Credentials: l.Credentials}, *secrets...) }, safeURL: u}
	_, err := c.do(ctx, http.MethodGet, u, nil, l.Credentials, x, read)
	return err
}

// decodeArray reads a listing, an array (null is an empty one) of what elem reads, and
// checks that nothing follows it; what names the elements in errors.
func decodeArray(r io.Reader, what string, elem func(d *bodyDecoder) error) error {
	d := newBodyDecoder(r)
	if k := d.dec.PeekKind(); k != '[' && k != 'n' && k != 0 {
		return d.describe(d.fail("a JSON array of " + what))
	}
	err := d.array(func() error { return elem(d) })
	if err == nil && d.dec.PeekKind() != 0 {
		err = &pathError{msg: "unexpected data after the array of " + what}
	}
	if err != nil {
		return d.describe(err)
	}
	return nil
}

// decodeListing reads a page of the listing of saved reports, tolerantly as reports are;
// unknown fields are skipped. params may be an object or, as Toggl sends it, a string
// holding one; one that is neither is ignored. Each token read is appended to tokens as
// soon as it is read.
func decodeListing(r io.Reader, tokens *[]string) ([]SavedReport, error) {
	var out []SavedReport
	err := decodeArray(r, "saved reports", func(d *bodyDecoder) error {
		var s SavedReport
		err := d.object(false, func(name []byte) (err error) {
			switch string(name) {
			case "id":
				s.ID, err = d.int()
			case "name":
				s.Name, err = d.str()
			case "token":
				s.Token, err = d.str()
				*tokens = append(*tokens, s.Token)
			case "public":
				s.Public, err = d.bool()
			case "fixed_daterange":
				s.FixedDaterange, err = d.bool()
			case "params":
				var v any
				err = json.UnmarshalDecode(d.dec, &v, anyOptions)
				if text, ok := v.(string); ok {
					v = nil
					_ = json.Unmarshal([]byte(text), &v, anyOptions)
				}
				s.Params, _ = v.(map[string]any)
			}
			return err
		})
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
