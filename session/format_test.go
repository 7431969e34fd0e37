package session_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/session/boltstore"
	"github.com/authgate/authgate/session/redisstore"
	"github.com/authgate/authgate/session/sessiontest"
)

// The stored-format fixtures in testdata/:
//
//   - session_v0_bolt.json, session_v0_redis.json: the record of
//     formatSample as commit 5042383 stored it (the bytes its
//     boltstore.Create put in the "sessions" bucket; the fields its
//     redisstore.Create put in the session hash). Never regenerate them.
//   - session_v1_bolt.json, session_v1_redis.json: the same session as
//     this code stores it (format version 1). go test -run Format
//     -update-format rewrites them; a diff there is a format change.
//
// Both directions of a rolling upgrade are checked: old records read by
// this code, and this code's records read by the decoder of 5042383.
var updateFormat = flag.Bool("update-format", false, "rewrite the v1 stored-format fixtures")

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// formatSample sets every field of a session, with claims of each JSON
// shape (a number beyond float64 precision, an array, a {v,t} value). Its
// times lie far ahead so no store treats it as purgeable.
func formatSample() *session.Session {
	return &session.Session{
		ID: "ses_fixture", TokenHash: session.HashToken("fixture-token"), UserID: "alice",
		Claims: map[string]any{
			"email": "alice@example.com", "roles": []any{"admin", "editor"},
			"n":    json.Number("12345678901234567890"),
			"plan": map[string]any{"v": "pro", "t": json.Number("1700000000000")},
		},
		Verifier: "idp", SourceJTI: "jti-1", SourceKey: "j:abc", SourceExpires: at("2099-01-01T01:00:00Z"),
		Host: "app.example.com", Provider: "login", ProviderSID: "sid-1", IDToken: "id.token.sig",
		Created: at("2099-01-01T00:00:00.123Z"), ClaimsAt: at("2098-12-31T23:59:00Z"),
		LastSeen: at("2099-01-01T00:10:00.5Z"), IdleExpires: at("2099-01-01T00:40:00.5Z"),
		Expires: at("2099-01-02T00:00:00.123Z"), PurgeAt: at("2099-01-01T00:50:00.5Z"),
	}
}

// recordV0 is session.Session as commit 5042383 declares it, frozen: it
// stands for an instance of that commit sharing the store. Never update it.
type recordV0 struct {
	ID            string         `json:"id"`
	TokenHash     hashV0         `json:"token_hash"`
	UserID        string         `json:"user_id"`
	Claims        map[string]any `json:"claims,omitempty"`
	Verifier      string         `json:"verifier,omitempty"`
	SourceJTI     string         `json:"source_jti,omitempty"`
	SourceKey     string         `json:"source_key,omitempty"`
	SourceExpires time.Time      `json:"source_expires,omitempty"`
	Host          string         `json:"host,omitempty"`
	Provider      string         `json:"provider,omitempty"`
	ProviderSID   string         `json:"provider_sid,omitempty"`
	IDToken       string         `json:"id_token,omitempty"`
	Created       time.Time      `json:"created"`
	ClaimsAt      time.Time      `json:"claims_at,omitempty"`
	LastSeen      time.Time      `json:"last_seen"`
	IdleExpires   time.Time      `json:"idle_expires"`
	Expires       time.Time      `json:"expires"`
	PurgeAt       time.Time      `json:"purge_at"`
}

// hashV0 is session.Hash as of 5042383, frozen.
type hashV0 [32]byte

func (h *hashV0) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return fmt.Errorf("decoding token hash: want %d hex digits, got %d", 2*len(h), len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// decodeV0 is internal/jsonnum.Unmarshal as of 5042383, frozen: the
// decoder both stores used for records. It does not refuse unknown fields.
func decodeV0(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid character after top-level value")
	}
	return nil
}

// decodeRedisV0 is redisstore's decode as of 5042383, frozen.
func decodeRedisV0(t *testing.T, m map[string]string) recordV0 {
	t.Helper()
	var r recordV0
	if err := decodeV0([]byte(m["r"]), &r); err != nil {
		t.Fatalf("the 5042383 decoder refuses the record: %v", err)
	}
	ms := func(v string) time.Time { n, _ := strconv.ParseInt(v, 10, 64); return time.UnixMilli(n).UTC() }
	r.LastSeen, r.IdleExpires, r.PurgeAt = ms(m["ls"]), ms(m["ie"]), ms(m["pa"])
	for k, raw := range m {
		if name, ok := strings.CutPrefix(k, "c:"); ok {
			var v any
			if err := decodeV0([]byte(raw), &v); err != nil {
				t.Fatalf("the 5042383 decoder refuses claim %q: %v", name, err)
			}
			if r.Claims == nil {
				r.Claims = map[string]any{}
			}
			r.Claims[name] = v
		}
	}
	return r
}

func TestFormatRecordVersions(t *testing.T) {
	v0 := readFixture(t, "session_v0_bolt.json")
	s, v, err := session.UnmarshalRecord(v0)
	if err != nil || v != 0 {
		t.Fatalf("v0 record: version %d, err %v; want version 0", v, err)
	}
	if !reflect.DeepEqual(s, formatSample()) {
		t.Errorf("v0 record decodes to %+v, want %+v", s, formatSample())
	}
	v1, err := session.MarshalRecord(formatSample())
	if err != nil {
		t.Fatal(err)
	}
	if _, v, _ := session.UnmarshalRecord(v1); v != 1 {
		t.Errorf("new record has version %d, want 1", v)
	}
}

func TestFormatBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st := openBolt(t, path)
	want := formatSample()
	if err := st.Create(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	st.Close()
	v1 := rawBolt(t, path, nil)
	checkGolden(t, "session_v1_bolt.json", v1)
	sameButVersion(t, v1, readFixture(t, "session_v0_bolt.json"))

	// New bytes, read by 5042383: the same as it reads its own.
	var fromOld, fromNew recordV0
	if err := decodeV0(readFixture(t, "session_v0_bolt.json"), &fromOld); err != nil {
		t.Fatal(err)
	}
	if err := decodeV0(v1, &fromNew); err != nil {
		t.Fatalf("the 5042383 decoder refuses the new record: %v", err)
	}
	if !reflect.DeepEqual(fromNew, fromOld) || fromNew.ID != want.ID || fromNew.IDToken != want.IDToken {
		t.Errorf("5042383 reads the new record as %+v, want %+v", fromNew, fromOld)
	}

	// Old bytes, read by this code: the same session.
	path = filepath.Join(t.TempDir(), "old.db")
	openBolt(t, path).Close()
	rawBolt(t, path, readFixture(t, "session_v0_bolt.json"))
	st = openBolt(t, path)
	defer st.Close()
	got, err := st.ByToken(context.Background(), want.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("v0 record reads as %+v, want %+v", got, want)
	}
}

func TestFormatRedis(t *testing.T) {
	rdb := formatRedis(t)
	ctx := context.Background()
	want := formatSample()
	newKeys, oldKeys := formatPrefix(t, rdb), formatPrefix(t, rdb)
	st := redisstore.New(rdb, newKeys)
	defer st.Close()
	if err := st.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	v1, err := rdb.HGetAll(ctx, newKeys+"t:"+want.TokenHash.String()).Result()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(v1, "", "\t")
	checkGolden(t, "session_v1_redis.json", b)

	// New hash, read by 5042383: the same as it reads its own.
	var old map[string]string
	if err := json.Unmarshal(readFixture(t, "session_v0_redis.json"), &old); err != nil {
		t.Fatal(err)
	}
	sameButVersion(t, []byte(v1["r"]), []byte(old["r"]))
	for k, v := range old {
		if k != "r" && v1[k] != v {
			t.Errorf("hash field %q = %q, was %q", k, v1[k], v)
		}
	}
	if len(v1) != len(old) {
		t.Errorf("hash has %d fields, was %d", len(v1), len(old))
	}
	if fromNew, fromOld := decodeRedisV0(t, v1), decodeRedisV0(t, old); !reflect.DeepEqual(fromNew, fromOld) {
		t.Errorf("5042383 reads the new hash as %+v, want %+v", fromNew, fromOld)
	}

	// Old hash, read by this code: the same session.
	tk := oldKeys + "t:" + want.TokenHash.String()
	if err := rdb.HSet(ctx, tk, old).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.PExpire(ctx, tk, time.Minute)
	rdb.Set(ctx, oldKeys+"s:"+want.ID, want.TokenHash.String(), time.Minute)
	ost := redisstore.New(rdb, oldKeys)
	defer ost.Close()
	got, err := ost.ByID(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("v0 hash reads as %+v, want %+v", got, want)
	}
}

// sameButVersion checks that the new record is the old one plus "fv":1:
// no stored field changed.
func sameButVersion(t *testing.T, v1, v0 []byte) {
	t.Helper()
	if got := bytes.Replace(v1, []byte(`,"fv":1}`), []byte("}"), 1); !bytes.Equal(got, bytes.TrimSpace(v0)) {
		t.Errorf("new record without its version:\n%s\nwant the 5042383 record:\n%s", got, v0)
	}
}

func openBolt(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rawBolt returns the stored record of the sample in the closed bolt file
// at path; with rec set, it first stores rec there (and its token index).
func rawBolt(t *testing.T, path string, rec []byte) []byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, id := formatSample(), []byte("ses_fixture")
	var out []byte
	err = db.Update(func(tx *bolt.Tx) error {
		if rec != nil {
			if err := tx.Bucket([]byte("sessions")).Put(id, bytes.TrimSpace(rec)); err != nil {
				return err
			}
			if err := tx.Bucket([]byte("tokens")).Put(s.TokenHash[:], id); err != nil {
				return err
			}
		}
		out = bytes.Clone(tx.Bucket([]byte("sessions")).Get(id))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func formatRedis(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(sessiontest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// formatPrefix returns a fresh key prefix whose keys are deleted after the
// test.
func formatPrefix(t *testing.T, rdb *redis.Client) string {
	p := fmt.Sprintf("authgate-format:%d:%d:", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, p+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return p
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares got with testdata/name (rewritten with
// -update-format).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *updateFormat {
		if err := os.WriteFile(filepath.Join("testdata", name), append(bytes.Clone(got), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := bytes.TrimSpace(readFixture(t, name)); !bytes.Equal(got, want) {
		t.Errorf("stored format changed:\n got %s\nwant %s\n(rerun with -update-format if the change is meant, and keep it readable by the previous release)", got, want)
	}
}
