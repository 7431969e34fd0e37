package sessiontest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RedisProc is a redis-server (or redis-sentinel) this test started on a
// free loopback port, for tests that stop, kill, flush or restart it; the
// shared AUTHGATE_TEST_REDIS must never be disturbed. The process is
// killed when the test ends.
type RedisProc struct {
	t    testing.TB
	Port int
	bin  string
	args []string
	dir  string
	cmd  *exec.Cmd
}

// NeedBinary returns the path of a Redis binary (redis-server,
// redis-sentinel). Without it the test is skipped on a developer machine
// and fails in CI, where .ci/run installs it.
func NeedBinary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// StartRedis starts a redis-server without persistence on a free port;
// extra are more command-line options ("--maxmemory-policy", "noeviction").
func StartRedis(t testing.TB, extra ...string) *RedisProc {
	t.Helper()
	args := append([]string{"--save", "", "--appendonly", "no"}, extra...)
	return startRedisProc(t, NeedBinary(t, "redis-server"), "", args)
}

// StartSentinel starts a redis-sentinel with the given configuration
// lines (the port and bind lines are added).
func StartSentinel(t testing.TB, conf ...string) *RedisProc {
	t.Helper()
	return startRedisProc(t, NeedBinary(t, "redis-sentinel"), strings.Join(conf, "\n"), nil)
}

func startRedisProc(t testing.TB, bin, conf string, args []string) *RedisProc {
	t.Helper()
	r := &RedisProc{t: t, Port: freePort(t), bin: bin, args: args, dir: t.TempDir()}
	if conf != "" {
		// Sentinel rewrites its configuration file: it must be writable.
		file := filepath.Join(r.dir, "sentinel.conf")
		conf = fmt.Sprintf("port %d\nbind 127.0.0.1\n%s\n", r.Port, conf)
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		r.args = []string{file}
	}
	r.Start()
	t.Cleanup(r.Kill)
	return r
}

// Addr is host:port.
func (r *RedisProc) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.Port) }

// URL is the redis:// URL of database 0.
func (r *RedisProc) URL() string { return "redis://" + r.Addr() + "/0" }

// Start (re)starts the process on its port and waits until it accepts
// connections.
func (r *RedisProc) Start() {
	r.t.Helper()
	args := r.args
	if r.bin != "" && !strings.HasSuffix(r.bin, "sentinel") {
		args = append([]string{"--port", fmt.Sprint(r.Port), "--bind", "127.0.0.1", "--dir", r.dir}, args...)
	}
	r.cmd = exec.Command(r.bin, args...)
	r.cmd.Dir = r.dir
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", r.Addr())
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s on port %d did not start", r.bin, r.Port)
		}
	}
}

// Stop freezes the process (SIGSTOP): connections stay open and nothing
// answers, like a hung server.
func (r *RedisProc) Stop() { r.signal(syscall.SIGSTOP) }

// Cont resumes a stopped process.
func (r *RedisProc) Cont() { r.signal(syscall.SIGCONT) }

// Kill ends the process (SIGKILL) and waits for it.
func (r *RedisProc) Kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT)
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Restart kills the process and starts it again, empty (it persists
// nothing).
func (r *RedisProc) Restart() {
	r.t.Helper()
	r.Kill()
	r.Start()
}

func (r *RedisProc) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
