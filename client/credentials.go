package client

import (
	"crypto/sha256"
	"encoding/hex"
)

// Credentials authenticate a request with HTTP Basic auth; APIToken wins over Email and
// Password. The zero value sends no Authorization header: enough for a public report.
type Credentials struct {
	APIToken, Email, Password string
}

// Kind reports which kind of credentials c holds: "anonymous", "api_token" or "email".
func (c Credentials) Kind() string {
	switch {
	case c.APIToken != "":
		return "api_token"
	case c.Email != "" || c.Password != "":
		return "email"
	}
	return "anonymous"
}

// Key is a stable identity of the credentials that reveals no secret, under which their
// pace, backoffs and quota are kept: the kind, a colon and 12 hex digits of a SHA-256
// over the secret material ("anonymous" alone). The password is hashed too, so that the
// key cannot be recomputed from a guessable e-mail address.
func (c Credentials) Key() string {
	user, pass, ok := c.basicAuth()
	if !ok {
		return "anonymous"
	}
	sum := sha256.Sum256([]byte(user + "\x00" + pass))
	return c.Kind() + ":" + hex.EncodeToString(sum[:6])
}

// basicAuth returns the user and password of the Authorization header, ok false when
// anonymous.
func (c Credentials) basicAuth() (user, pass string, ok bool) {
	if c.APIToken != "" {
		return c.APIToken, "api_token", true
	}
	return c.Email, c.Password, c.Kind() == "email"
}
