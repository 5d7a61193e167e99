package client

import (
	"crypto/sha256"
	"encoding/hex"
)

// Credentials authenticate a request with HTTP Basic auth. The zero value is anonymous:
// no Authorization header is sent, which is enough for a public report. When APIToken is
// set it wins over Email and Password.
type Credentials struct {
	APIToken string
	Email    string
	Password string
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

// Key is a stable identity of the credentials that reveals no secret: the kind, a colon
// and the first 12 hex digits of a SHA-256 over the secret material ("anonymous" alone for
// anonymous credentials). Upstream rate limits and backoffs are kept per Key, so two
// reports that use the same credentials share them. The password takes part in the hash so
// that the key cannot be recomputed from a guessable e-mail address.
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
