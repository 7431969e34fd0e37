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
	"slices"
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
//   - session_v1_bolt.json, session_v1_redis.json: the record of
//     sampleV1 as format version 1 stored it (commit 2e7d3ee). Never
//     regenerate them.
//   - session_v2_bolt.json, session_v2_redis.json: formatSample as this
//     code stores it (format version 2). go test -run Format
//     -update-format rewrites them; a diff there is a format change.
//
// Both directions of a rolling upgrade are checked: old records read by
// this code, and this code's records read by the previous decoder (that of
// 5042383: version 1 only added "fv", which it ignores). A field added in
// version 2 goes into formatSample, addedV2 and withoutV2.
var updateFormat = flag.Bool("update-format", false, "rewrite the v2 stored-format fixtures")

// addedV2 are the record fields format version 2 added; every other field
// is stored as version 1 stored it.
var addedV2 = []string{"factors"}

// withoutV2 clears the fields version 2 added: what a version 1 record of
// s holds.
func withoutV2(s *session.Session) *session.Session {
	s.Factors = nil
	return s
}

// sampleV1 is formatSample as a version 0 or 1 record holds it.
func sampleV1() *session.Session { return withoutV2(formatSample()) }

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
		Factors: []session.Factor{
			{Verifier: "idp", AMR: []string{"pwd", "otp"}, At: at("2099-01-01T00:00:00.123Z")},
			{Verifier: "login", At: at("2099-01-01T00:05:00Z")},
		},
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
	for want, name := range []string{"session_v0_bolt.json", "session_v1_bolt.json"} {
		s, v, err := session.UnmarshalRecord(readFixture(t, name))
		if err != nil || v != want {
			t.Fatalf("%s: version %d, err %v; want version %d", name, v, err, want)
		}
		if !reflect.DeepEqual(s, sampleV1()) {
			t.Errorf("%s decodes to %+v, want %+v", name, s, sampleV1())
		}
	}
	v2, err := session.MarshalRecord(formatSample())
	if err != nil {
		t.Fatal(err)
	}
	s, v, _ := session.UnmarshalRecord(v2)
	if v != 2 || !reflect.DeepEqual(s, formatSample()) {
		t.Errorf("new record has version %d and decodes to %+v, want version 2 and %+v", v, s, formatSample())
	}
}

// TestFormatOldRecordsHaveTheirOriginFactor: a record from before factors
// were stored shows the one factor its origin implies.
func TestFormatOldRecordsHaveTheirOriginFactor(t *testing.T) {
	s, _, err := session.UnmarshalRecord(readFixture(t, "session_v1_bolt.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []session.Factor{{Verifier: "login", At: s.Created}} // Provider wins, as in Origin
	if got := s.AuthFactors(); !reflect.DeepEqual(got, want) {
		t.Errorf("factors of a v1 record = %+v, want %+v", got, want)
	}
	s.Provider, s.Verifier = "", ""
	if got := s.AuthFactors(); got != nil {
		t.Errorf("an admin-made v1 session has factors %+v, want none", got)
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
	v2 := rawBolt(t, path, nil)
	checkGolden(t, "session_v2_bolt.json", v2)
	sameButVersion(t, readFixture(t, "session_v1_bolt.json"), readFixture(t, "session_v0_bolt.json"))
	onlyAdded(t, v2, readFixture(t, "session_v1_bolt.json"))

	// New bytes, read by 5042383: the same as it reads its own.
	var fromOld, fromNew recordV0
	if err := decodeV0(readFixture(t, "session_v0_bolt.json"), &fromOld); err != nil {
		t.Fatal(err)
	}
	if err := decodeV0(v2, &fromNew); err != nil {
		t.Fatalf("the 5042383 decoder refuses the new record: %v", err)
	}
	if !reflect.DeepEqual(fromNew, fromOld) || fromNew.ID != want.ID || fromNew.IDToken != want.IDToken {
		t.Errorf("5042383 reads the new record as %+v, want %+v", fromNew, fromOld)
	}

	// Old bytes, read by this code: the same session without what version
	// 2 added.
	for _, name := range []string{"session_v0_bolt.json", "session_v1_bolt.json"} {
		path = filepath.Join(t.TempDir(), "old.db")
		openBolt(t, path).Close()
		rawBolt(t, path, readFixture(t, name))
		st = openBolt(t, path)
		got, err := st.ByToken(context.Background(), want.TokenHash)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, sampleV1()) {
			t.Errorf("%s reads as %+v, want %+v", name, got, sampleV1())
		}
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
	v2, err := rdb.HGetAll(ctx, newKeys+"t:"+want.TokenHash.String()).Result()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(v2, "", "\t")
	checkGolden(t, "session_v2_redis.json", b)

	// New hash, read by 5042383: the same as it reads its own.
	old, v1 := redisFixture(t, "session_v0_redis.json"), redisFixture(t, "session_v1_redis.json")
	sameButVersion(t, []byte(v1["r"]), []byte(old["r"]))
	onlyAdded(t, []byte(v2["r"]), []byte(v1["r"]))
	for k, v := range old {
		if k != "r" && (v2[k] != v || v1[k] != v) {
			t.Errorf("hash field %q = %q (v1 %q), was %q", k, v2[k], v1[k], v)
		}
	}
	if len(v2) != len(old) || len(v1) != len(old) {
		t.Errorf("hash has %d fields (v1 %d), was %d", len(v2), len(v1), len(old))
	}
	if fromNew, fromOld := decodeRedisV0(t, v2), decodeRedisV0(t, old); !reflect.DeepEqual(fromNew, fromOld) {
		t.Errorf("5042383 reads the new hash as %+v, want %+v", fromNew, fromOld)
	}

	// Old hashes, read by this code: the same session without what
	// version 2 added.
	for _, name := range []string{"session_v0_redis.json", "session_v1_redis.json"} {
		tk := oldKeys + "t:" + want.TokenHash.String()
		if err := rdb.HSet(ctx, tk, redisFixture(t, name)).Err(); err != nil {
			t.Fatal(err)
		}
		rdb.PExpire(ctx, tk, time.Minute)
		rdb.Set(ctx, oldKeys+"s:"+want.ID, want.TokenHash.String(), time.Minute)
		ost := redisstore.New(rdb, oldKeys)
		got, err := ost.ByID(ctx, want.ID)
		ost.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, sampleV1()) {
			t.Errorf("%s reads as %+v, want %+v", name, got, sampleV1())
		}
	}
}

func redisFixture(t *testing.T, name string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(readFixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// onlyAdded checks that the new record holds every field of the version 1
// record unchanged, plus the fields of addedV2 and "fv":2.
func onlyAdded(t *testing.T, v2, v1 []byte) {
	t.Helper()
	var n, o map[string]json.RawMessage
	if err := json.Unmarshal(v2, &n); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(v1, &o); err != nil {
		t.Fatal(err)
	}
	if string(n["fv"]) != "2" || string(o["fv"]) != "1" {
		t.Errorf("versions %s and %s, want 2 and 1", n["fv"], o["fv"])
	}
	for k, v := range o {
		if k != "fv" && !bytes.Equal(n[k], v) {
			t.Errorf("field %q is %s, version 1 stored %s", k, n[k], v)
		}
	}
	for k := range n {
		if _, was := o[k]; !was && !slices.Contains(addedV2, k) {
			t.Errorf("field %q is new but not in addedV2", k)
		}
	}
	for _, k := range addedV2 {
		if _, ok := n[k]; !ok {
			t.Errorf("formatSample leaves %q (added in version 2) empty: the fixture does not cover it", k)
		}
	}
}

// sameButVersion checks that the version 1 record is the version 0 one
// plus "fv":1: no stored field changed.
func sameButVersion(t *testing.T, v1, v0 []byte) {
	t.Helper()
	if got := bytes.Replace(bytes.TrimSpace(v1), []byte(`,"fv":1}`), []byte("}"), 1); !bytes.Equal(got, bytes.TrimSpace(v0)) {
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
	s, id := sampleV1(), []byte("ses_fixture")
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
