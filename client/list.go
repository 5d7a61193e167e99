package client

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"

	"github.com/toggl-exporter/toggl_exporter/config"
)

const (
	// listPerPage is the page size asked of the listing of saved reports.
	listPerPage = 50
	// maxListPages bounds a listing: a server that ignored page would else be asked for
	// ever. 200 pages are 10,000 saved reports.
	maxListPages = 200
)

// ListSharedReports lists the saved reports of a workspace (toggl-api.md, "Listing a
// workspace's saved reports"): GET {BaseURL}/api/v9/workspaces/{id}/reports/shared, page
// by page (per_page=50) until a page is short or empty. Each page is one request, paced,
// counted and backed off through the same limits as the reports sent with cred. A report
// listed twice (the list moved between pages) comes once. Every error is an *Error, with
// the credentials and the listed report tokens redacted.
func (c *Client) ListSharedReports(ctx context.Context, workspaceID int64, cred Credentials) ([]config.SavedReport, error) {
	var (
		out    []config.SavedReport
		tokens []string // the report tokens read so far, which every later error redacts
		seen   = map[int64]bool{}
	)
	for page := 1; page <= maxListPages; page++ {
		u := fmt.Sprintf("%s/api/v9/workspaces/%d/reports/shared?page=%d&per_page=%d", c.o.BaseURL, workspaceID, page, listPerPage)
		x := exchange{rd: func() redactor { return newRedactor(Request{Credentials: cred}, tokens...) }, safeURL: u}
		var items []config.SavedReport
		_, err := c.do(ctx, http.MethodGet, u, nil, cred, x, func(r io.Reader) (err error) {
			items, err = decodeListing(r, &tokens)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, s := range items {
			if !seen[s.ID] {
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

// decodeListing reads a page of the listing: an array (null is an empty one) of saved
// reports, read tolerantly as reports are; unknown fields are skipped. params may be an
// object or, as Toggl sends it, a string holding one; one that is neither is ignored.
// Each token read is appended to tokens as soon as it is read.
func decodeListing(r io.Reader, tokens *[]string) ([]config.SavedReport, error) {
	d := newDecoder(r)
	var out []config.SavedReport
	if k := d.dec.PeekKind(); k != '[' && k != 'n' && k != 0 {
		return nil, d.describe(d.fail("a JSON array of saved reports"))
	}
	err := d.array(func() error {
		var s config.SavedReport
		err := d.object(false, func(name []byte) (err error) {
			switch string(name) {
			case "id":
				s.ID, err = d.int()
			case "name":
				s.Name, err = d.str()
			case "token":
				var t string
				t, err = d.str()
				s.Token = config.Secret(t)
				*tokens = append(*tokens, t)
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
	if err == nil && d.dec.PeekKind() != 0 {
		err = &pathError{msg: "unexpected data after the array of saved reports"}
	}
	if err != nil {
		return nil, d.describe(err)
	}
	return out, nil
}
