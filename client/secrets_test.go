package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Distinctive secrets: none of them may appear in any error, however it is printed.
var secretRequests = []Request{
	{Token: "tok-SECRET-5f3a9c2e81", Credentials: Credentials{APIToken: "apitok-SECRET-77e1c0ffee"}},
	{Token: "tok/SECRET 9d?&x=1", Credentials: Credentials{Email: "secret.person+x@example.org", Password: "pw-SECRET-9b2d \"quoted\""}},
	{Token: "tok-SECRET-anon-0a1b2c"},
}

// secretStrings lists what must not leak for req: the secrets, their escaped forms, and
// their first 8 characters (a cut secret leaks too).
func secretStrings(req Request) []string {
	var out []string
	for _, s := range []string{req.Token, req.Credentials.APIToken, req.Credentials.Email, req.Credentials.Password} {
		if s == "" {
			continue
		}
		out = append(out, s, url.PathEscape(s), url.QueryEscape(s), s[:8])
	}
	return out
}

func assertNoSecret(t *testing.T, req Request, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var printed []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		printed = append(printed, e.Error(), fmt.Sprintf("%v|%+v|%s|%q", e, e, e, e))
	}
	var ce *Error
	if errors.As(err, &ce) {
		printed = append(printed, ce.Message, ce.Code, fmt.Sprintf("%+v", *ce))
	}
	for _, p := range printed {
		for _, s := range secretStrings(req) {
			if strings.Contains(p, s) {
				t.Errorf("secret %q leaked in %q", s, p)
			}
		}
	}
}

// echo is a body that repeats every secret of req the way a careless server might.
func echo(req Request) string {
	var b strings.Builder
	for _, s := range []string{req.Token, req.Credentials.APIToken, req.Credentials.Email, req.Credentials.Password} {
		if s != "" {
			fmt.Fprintf(&b, "%s %s %s; ", s, url.PathEscape(s), url.QueryEscape(s))
		}
	}
	return b.String()
}

func TestNoSecretInErrors(t *testing.T) {
	type mode struct {
		name string
		code string
		run  func(t *testing.T, req Request) error
	}
	serve := func(t *testing.T, req Request, o Options, h http.HandlerFunc) error {
		srv := newServer(t, h)
		c := newTestClient(srv, o)
		_, _, err := c.Run(context.Background(), req, nil)
		return err
	}
	modes := []mode{
		{"status with echoed secrets", "403", func(t *testing.T, req Request) error {
			return serve(t, req, Options{}, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(403)
				_, _ = io.WriteString(w, "Invalid token: "+echo(req)+" path "+r.URL.RawPath+r.URL.Path+" auth "+r.Header.Get("Authorization"))
			})
		}},
		{"secret cut by the error body limit", "401", func(t *testing.T, req Request) error {
			return serve(t, req, Options{}, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(401)
				body := strings.Repeat(" ", maxErrorBody-4) + req.Token
				_, _ = io.WriteString(w, body)
			})
		}},
		{"html error page", "500", func(t *testing.T, req Request) error {
			return serve(t, req, Options{}, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				_, _ = io.WriteString(w, "<html><b>"+req.Token+"</b><i>"+echo(req)+"</i></html>")
			})
		}},
		{"decode error quoting a secret value", CodeDecode, func(t *testing.T, req Request) error {
			return serve(t, req, Options{}, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"detailed_results":{"report":[{"user_id":`+jsonString(req.Token)+`}]}}`)
			})
		}},
		{"decode error with a secret key in the path", CodeDecode, func(t *testing.T, req Request) error {
			return serve(t, req, Options{}, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"dictionaries":{"tags":{`+jsonString(req.Token)+`:{"id":1,"name":{}}}}}`)
			})
		}},
		{"decode error quoting the password", CodeDecode, func(t *testing.T, req Request) error {
			return serve(t, req, Options{}, func(w http.ResponseWriter, r *http.Request) {
				v := req.Credentials.Password + req.Credentials.APIToken + req.Token
				_, _ = io.WriteString(w, `{"public":`+jsonString(v)+`}`)
			})
		}},
		{"body over the limit", CodeDecode, func(t *testing.T, req Request) error {
			return serve(t, req, Options{MaxResponseBytes: 10}, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"report_name":`+jsonString(req.Token)+`}`)
			})
		}},
		{"connection refused", CodeNetwork, func(t *testing.T, req Request) error {
			c := newTestClient(nil, Options{BaseURL: refusedURL(t)})
			_, _, err := c.Run(context.Background(), req, nil)
			return err
		}},
		{"timeout", CodeTimeout, func(t *testing.T, req Request) error {
			c := newTestClient(blockingServer(t, ""), Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, _, err := c.Run(ctx, req, nil)
			return err
		}},
		{"connection cut mid-body", CodeNetwork, func(t *testing.T, req Request) error {
			c := newTestClient(cutServer(t, `{"report_name":`+jsonString(req.Token), false), Options{})
			_, _, err := c.Run(context.Background(), req, nil)
			return err
		}},
		{"malformed base URL", CodeNetwork, func(t *testing.T, req Request) error {
			c := newTestClient(nil, Options{BaseURL: "http://[::1%zz"})
			_, _, err := c.Run(context.Background(), req, nil)
			return err
		}},
		{"unsupported scheme", CodeNetwork, func(t *testing.T, req Request) error {
			c := newTestClient(nil, Options{BaseURL: "gopher://127.0.0.1:1"})
			_, _, err := c.Run(context.Background(), req, nil)
			return err
		}},
	}
	for _, m := range modes {
		for i, req := range secretRequests {
			t.Run(fmt.Sprintf("%s/%s/%d", m.name, req.Credentials.Kind(), i), func(t *testing.T) {
				err := m.run(t, req)
				if Code(err) != m.code {
					t.Errorf("code %q, want %q (%v)", Code(err), m.code, err)
				}
				assertNoSecret(t, req, err)
				if !strings.Contains(err.Error(), "toggl: ") {
					t.Errorf("Error() = %q", err.Error())
				}
			})
		}
	}
}

func TestRequestRedact(t *testing.T) {
	req := secretRequests[1]
	got := newRedactor(req).redact("token " + req.Token + " user " + req.Credentials.Email + " pass " + req.Credentials.Password + " url " + url.PathEscape(req.Token))
	want := "token <redacted> user <redacted> pass <redacted> url <redacted>"
	if got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	if got := newRedactor(Request{}).redact("nothing to hide"); got != "nothing to hide" {
		t.Errorf("empty Request redacted %q", got)
	}
}

// TestRedactNearMatches: a server that echoes a secret upper-cased, lower-cased, or with
// the Basic credentials split by white space still leaks nothing.
func TestRedactNearMatches(t *testing.T) {
	req := Request{Token: "0123456789abcdefABCDEF0123456789", Credentials: Credentials{APIToken: "fedcba9876543210fedcba9876543210"}}
	basic := base64.StdEncoding.EncodeToString([]byte(req.Credentials.APIToken + ":api_token"))
	for name, body := range map[string]string{
		"token upper-cased":    strings.ToUpper(req.Token),
		"token lower-cased":    strings.ToLower(req.Token),
		"api token upper":      "bad token " + strings.ToUpper(req.Credentials.APIToken),
		"basic split by space": "Authorization: Basic " + basic[:20] + " " + basic[20:],
		"basic split by lines": "Basic " + basic[:30] + "\r\n " + basic[30:],
		"basic lower-cased":    strings.ToLower(basic),
	} {
		t.Run(name, func(t *testing.T) {
			got := newRedactor(req).redact(body)
			for _, s := range []string{req.Token, req.Credentials.APIToken, basic} {
				for _, form := range []string{s, strings.ToUpper(s), strings.ToLower(s), s[:20], strings.ToUpper(s[:20]), strings.ToLower(s[:20])} {
					if strings.Contains(got, form) {
						t.Errorf("Redact(%q) = %q: leaks %q", body, got, form)
					}
				}
			}
			if !strings.Contains(got, redactedText) {
				t.Errorf("Redact(%q) = %q, want %s in it", body, got, redactedText)
			}
		})
	}
	if got := newRedactor(req).redact("nothing secret here"); got != "nothing secret here" {
		t.Errorf("Redact changed a harmless text: %q", got)
	}
}
