package verifiertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
)

// Algs are the algorithms a Server has keys for, one key each.
var Algs = []string{"RS256", "ES256", "EdDSA"}

// Server is a JWKS endpoint on httptest.
type Server struct {
	// URL is the JWKS URL.
	URL string

	srv     *httptest.Server
	fetches atomic.Int64

	mu         sync.Mutex
	keys       []*Key
	extra      []json.RawMessage
	down       bool
	generation int
}

// Option configures a Server.
type Option func(*Server)

// WithEncKey also publishes an RSA encryption key ("use":"enc",
// "alg":"RSA-OAEP") under kid "enc-1", which must never verify a signature.
func WithEncKey() Option {
	return func(s *Server) {
		k := NewRSAKey("enc-1")
		k.Use = "enc"
		s.keys = append(s.keys, k)
	}
}

// WithExtraJWKs publishes raw JWK objects after the keys, such as keys of
// unsupported types or malformed ones.
func WithExtraJWKs(raw ...json.RawMessage) Option {
	return func(s *Server) { s.extra = append(s.extra, raw...) }
}

// NewServer starts a JWKS server with fresh RS256, ES256 and EdDSA keys
// (kids "rs256-1", "es256-1", "eddsa-1"). Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{generation: 1}
	s.keys = freshKeys(1)
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/jwks.json"
	return s
}

func freshKeys(generation int) []*Key {
	keys := make([]*Key, 0, len(Algs))
	for _, alg := range Algs {
		keys = append(keys, NewKey(alg, kidFor(alg, generation)))
	}
	return keys
}

func kidFor(alg string, generation int) string {
	return map[string]string{"RS256": "rs256", "ES256": "es256", "EdDSA": "eddsa"}[alg] + "-" + strconv.Itoa(generation)
}

func (s *Server) serve(w http.ResponseWriter, _ *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	set := struct {
		Keys []json.RawMessage `json:"keys"`
	}{}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	set.Keys = append(set.Keys, s.extra...)
	w.Header().Set("Content-Type", "application/jwk-set+json")
	must(json.NewEncoder(w).Encode(set))
}

// Key returns the current signing key for alg.
func (s *Server) Key(alg string) *Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.Alg == alg && k.Use == "sig" {
			return k
		}
	}
	panic("verifiertest: server has no key for " + alg)
}

// EncKey returns the encryption key published by WithEncKey.
func (s *Server) EncKey() *Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.Use == "enc" {
			return k
		}
	}
	panic("verifiertest: server has no encryption key (use WithEncKey)")
}

// Rotate replaces every signing key with a fresh one under a new kid
// ("rs256-2", …); the old keys are no longer published.
func (s *Server) Rotate() {
	s.mu.Lock()
	s.generation++
	generation := s.generation
	s.mu.Unlock()
	fresh := freshKeys(generation)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.Use == "enc" {
			fresh = append(fresh, k)
		}
	}
	s.keys = fresh
}

// Down makes the endpoint answer 500 (true) or serve keys again (false).
func (s *Server) Down(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Fetches returns how many requests the endpoint has received.
func (s *Server) Fetches() int64 { return s.fetches.Load() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }
