package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func fullEnv() map[string]string {
	return map[string]string{
		"DATABASE_HOST": "postgres.webstack-dev.svc", "DATABASE_PORT": "5432", "DATABASE_NAME": "app",
		"DATABASE_USER": "app", "DATABASE_PASSWORD": "p@ss/word:1",
	}
}

func TestDatabaseURLEscapesThePassword(t *testing.T) {
	got, err := databaseURL(env(fullEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://app:p%40ss%2Fword%3A1@postgres.webstack-dev.svc:5432/app?"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("databaseURL = %q, want prefix %q", got, want)
	}
}

func TestDatabaseURLNamesEveryMissingVariable(t *testing.T) {
	m := fullEnv()
	delete(m, "DATABASE_USER")
	delete(m, "DATABASE_PASSWORD")
	_, err := databaseURL(env(m))
	if err == nil || err.Error() != "missing environment: DATABASE_USER, DATABASE_PASSWORD" {
		t.Fatalf("err = %v", err)
	}
}

func TestDatabaseURLRefusesABadPort(t *testing.T) {
	m := fullEnv()
	m["DATABASE_PORT"] = "70000"
	if _, err := databaseURL(env(m)); err == nil || !strings.Contains(err.Error(), "DATABASE_PORT") {
		t.Fatalf("err = %v", err)
	}
}

func TestShutdownDelay(t *testing.T) {
	if d, err := shutdownDelay(env(nil)); err != nil || d.Seconds() != 5 {
		t.Fatalf("default = %v, %v", d, err)
	}
	if d, err := shutdownDelay(env(map[string]string{"SHUTDOWN_DELAY_SECONDS": "12"})); err != nil || d.Seconds() != 12 {
		t.Fatalf("12 = %v, %v", d, err)
	}
	for _, bad := range []string{"-1", "301", "1.5", "x"} {
		if _, err := shutdownDelay(env(map[string]string{"SHUTDOWN_DELAY_SECONDS": bad})); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

func TestListenAddr(t *testing.T) {
	cases := map[string]map[string]string{
		":8080":          nil,
		":9898":          {"PORT": "9898"},
		"127.0.0.1:7000": {"LISTEN_ADDR": "127.0.0.1:7000", "PORT": "9898"},
	}
	for want, m := range cases {
		if got := listenAddr(env(m)); got != want {
			t.Fatalf("listenAddr(%v) = %q, want %q", m, got, want)
		}
	}
}

func TestStoppingAppIsUnreadyButHealthy(t *testing.T) {
	a := &app{requests: map[string]int64{}}
	a.stopping.Store(true)
	h := a.routes()
	for path, want := range map[string]int{"/ready": 503, "/health": 200} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Fatalf("%s = %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range []string{
		`webstack_demo_requests_total{path="/ready",code="503"} 1`,
		`webstack_demo_requests_total{path="/health",code="200"} 1`,
		"webstack_demo_database_up 0",
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Fatalf("metrics lack %q:\n%s", line, rec.Body.String())
		}
	}
}

func TestClientCountsSuccessesFailuresAndVersions(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"version":"1.0.` + map[bool]string{true: "1", false: "0"}[calls > 2] + `"}`))
	}))
	defer srv.Close()
	var out strings.Builder
	if err := runClient([]string{"-url", srv.URL, "-n", "4"}, &out); err != nil {
		t.Fatal(err)
	}
	var rep clientReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 4 || rep.OK != 3 || rep.Failed != 1 || rep.Errors["HTTP 503"] != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.Versions["1.0.0"] != 1 || rep.Versions["1.0.1"] != 2 || rep.Last != "1.0.1" {
		t.Fatalf("versions = %v last %q", rep.Versions, rep.Last)
	}
}

func TestClientStopsAtItsDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var out strings.Builder
	if err := runClient([]string{"-url", srv.URL, "-n", "100000", "-interval", "50ms", "-duration", "300ms"}, &out); err != nil {
		t.Fatal(err)
	}
	var rep clientReport
	_ = json.Unmarshal([]byte(out.String()), &rep)
	if rep.Sent < 2 || rep.Sent > 8 {
		t.Fatalf("sent %d requests in a 300ms window at 50ms intervals", rep.Sent)
	}
}

func TestClientRefusesAnUnboundedLoop(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://x", "-n", "0"}, {"-url", "http://x", "-duration", "31m"}, {"-n", "1"},
		{"-url", "http://x", "-start-after", "2m"},
	} {
		if err := runClient(args, io.Discard); err == nil {
			t.Fatalf("%v accepted", args)
		}
	}
}

func TestClientStopsAfterAStreakOfTheAwaitedVersion(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		v := "1.0.0"
		if calls > 3 {
			v = "1.0.1"
		}
		_, _ = w.Write([]byte(`{"version":"` + v + `"}`))
	}))
	defer srv.Close()
	var out strings.Builder
	args := []string{"-url", srv.URL, "-n", "1000", "-stop-after-version", "1.0.1", "-stop-count", "5"}
	if err := runClient(args, &out); err != nil {
		t.Fatal(err)
	}
	var rep clientReport
	_ = json.Unmarshal([]byte(out.String()), &rep)
	if rep.Sent != 8 || rep.Versions["1.0.0"] != 3 || rep.Versions["1.0.1"] != 5 {
		t.Fatalf("report = %+v", rep)
	}
}
