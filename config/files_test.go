package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test when f has not returned after a minute: a read
// that blocks is the bug these tests guard against.
func within[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(time.Minute):
		t.Fatal("blocked")
		panic("unreachable")
	}
}

// specialFiles returns a FIFO, /dev/zero and a file just over limit bytes,
// with the message each must give.
func specialFiles(t *testing.T, limit int) map[string]string {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", limit+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{fifo: fifo + ": not a regular file", big: big + ": larger than "}
	if _, err := os.Stat("/dev/zero"); err == nil {
		files["/dev/zero"] = "/dev/zero: not a regular file"
	}
	return files
}

func TestLoadOnlyRegularSmallFiles(t *testing.T) {
	for path, want := range specialFiles(t, maxConfigBytes) {
		err := within(t, func() error { _, err := Load(path, envMap(nil)); return err })
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Load(%s): %v, want %q", path, err, want)
		}
	}
	// The cap is 1 MiB and the message says so.
	big := filepath.Join(t.TempDir(), "big.yml")
	os.WriteFile(big, []byte(strings.Repeat("#", maxConfigBytes+1)), 0o600)
	if _, err := Load(big, nil); err == nil || err.Error() != big+": larger than 1MiB, the most a configuration file may hold" {
		t.Errorf("oversized: %v", err)
	}
	// Exactly at the cap is fine (a comment-only file is empty).
	os.WriteFile(big, []byte("reports:\n"+ok+strings.Repeat("#", maxConfigBytes-len("reports:\n"+ok))), 0o600)
	if _, err := Load(big, nil); err != nil {
		t.Errorf("at the cap: %v", err)
	}
}

func TestSecretFilesOnlyRegularSmallFiles(t *testing.T) {
	for path, want := range specialFiles(t, maxSecretFileBytes) {
		cfg := writeConfig(t, "reports:\n  - name: a\n    token_file: "+path+"\n", nil)
		err := within(t, func() error { _, err := Load(cfg, envMap(nil)); return err })
		if err == nil || !strings.HasPrefix(err.Error(), `reports[0] "a": token_file: `+want) {
			t.Errorf("token_file %s: %v, want %q", path, err, want)
		}
	}
}

// TestReloadNeverBlocks: a FIFO in place of the file fails the reload at
// once, and the next reload works.
func TestReloadNeverBlocks(t *testing.T) {
	sc := NewSafeConfig(nil)
	path := writeConfig(t, "reports:\n"+ok, nil)
	if _, err := sc.ReloadWith(path, nil, nil); err != nil {
		t.Fatal(err)
	}
	good := sc.Get()
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := within(t, func() error { _, err := sc.ReloadWith(path, nil, nil); return err }); err == nil {
			t.Fatal("a FIFO loaded")
		}
	}
	if sc.Get() != good {
		t.Error("a failed reload replaced the configuration")
	}
	os.Remove(path)
	os.WriteFile(path, []byte("reports:\n"+ok+"  - name: b\n    token: abc1234567890abcdef1234567890abc\n"), 0o600)
	if err := within(t, func() error { _, err := sc.ReloadWith(path, nil, nil); return err }); err != nil || len(sc.Get().Reports) != 2 {
		t.Errorf("reload after the FIFO: %v", err)
	}
}

// TestSecretFileTrimmed checks that a secret file's UTF-8 BOM and surrounding
// whitespace are not part of the secret (editors on Windows write both).
func TestSecretFileTrimmed(t *testing.T) {
	const tok = "abc1234567890abcdef1234567890abc"
	path := writeConfig(t, "reports:\n  - name: a\n    token_file: tok\n", map[string]string{"tok": "\ufeff " + tok + "\r\n"})
	if got := mustLoad(t, path, nil).Reports[0].Resolved.Token; got != tok {
		t.Errorf("token %q, want %q", got, tok)
	}
}
