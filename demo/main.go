// Command webstack-demo is the project's own demo web app: a real client of the stack it is deployed by.
//
// It reads the database settings exactly as WebApp hands them over (DATABASE_HOST, DATABASE_PORT,
// DATABASE_NAME, DATABASE_USER from the app's ConfigMap, DATABASE_PASSWORD from a Secret) and serves:
//
//	GET  /health   200 while the process serves HTTP (liveness, startup)
//	GET  /ready    200 only while the database answers a query; 503 otherwise, and from SIGTERM on
//	GET  /metrics  Prometheus text format: requests, database status, rows written
//	GET  /version  the build's version string
//	POST /rows     stores the request body (at most 4 KiB) as a row; answers {"id":N,"body":"..."}
//	GET  /rows     {"count":N,"rows":[...]} with the newest 100 rows
//
// `webstack-demo client -url URL [-n N -interval D -duration D -method POST -body B]` is a bounded HTTP
// client for tests: it prints one JSON report (requests sent, OK, failed, versions seen) and exits.
//
// On SIGTERM it turns unready, keeps serving for SHUTDOWN_DELAY_SECONDS (default 5) while the
// cluster takes it out of its Service, then drains the requests in flight and exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const (
	maxBody    = 4096
	listLimit  = 100
	queryLimit = 2 * time.Second
	createRows = `CREATE TABLE IF NOT EXISTS webstack_demo_rows (
	id bigserial PRIMARY KEY,
	body text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
)`
)

type app struct {
	pool     *pgxpool.Pool
	stopping atomic.Bool
	dbUp     atomic.Bool
	written  atomic.Int64
	mu       sync.Mutex
	requests map[string]int64 // "path code" -> count
	tableMu  sync.Mutex
	tableOK  bool
}

// databaseURL builds the connection string from the DATABASE_* variables; every one is required.
func databaseURL(getenv func(string) string) (string, error) {
	values := map[string]string{}
	var missing []string
	for _, key := range []string{"DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_PASSWORD"} {
		v := getenv(key)
		if v == "" {
			missing = append(missing, key)
		}
		values[key] = v
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	port, err := strconv.Atoi(values["DATABASE_PORT"])
	if err != nil || port < 1 || port > 65535 {
		return "", fmt.Errorf("DATABASE_PORT: %q is not a port number", values["DATABASE_PORT"])
	}
	u := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(values["DATABASE_USER"], values["DATABASE_PASSWORD"]),
		Host:   net.JoinHostPort(values["DATABASE_HOST"], strconv.Itoa(port)),
		Path:   "/" + values["DATABASE_NAME"],
	}
	q := url.Values{}
	q.Set("connect_timeout", "3")
	q.Set("application_name", "webstack-demo")
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (a *app) count(path string, code int) {
	a.mu.Lock()
	a.requests[fmt.Sprintf("%s %d", path, code)]++
	a.mu.Unlock()
}

func (a *app) reply(w http.ResponseWriter, path string, code int, body any) {
	a.count(path, code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func (a *app) ensureTable(ctx context.Context) error {
	a.tableMu.Lock()
	defer a.tableMu.Unlock()
	if a.tableOK {
		return nil
	}
	if _, err := a.pool.Exec(ctx, createRows); err != nil {
		return err
	}
	a.tableOK = true
	return nil
}

func (a *app) health(w http.ResponseWriter, _ *http.Request) {
	a.reply(w, "/health", http.StatusOK, map[string]string{"status": "ok"})
}

func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	if a.stopping.Load() {
		a.reply(w, "/ready", http.StatusServiceUnavailable, map[string]string{"status": "stopping"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryLimit)
	defer cancel()
	var one int
	if err := a.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		a.dbUp.Store(false)
		a.reply(w, "/ready", http.StatusServiceUnavailable, map[string]string{"status": "database unavailable", "error": err.Error()})
		return
	}
	a.dbUp.Store(true)
	a.reply(w, "/ready", http.StatusOK, map[string]string{"status": "ready"})
}

func (a *app) versionHandler(w http.ResponseWriter, _ *http.Request) {
	host, _ := os.Hostname()
	a.reply(w, "/version", http.StatusOK, map[string]string{"version": version, "pod": host})
}

func (a *app) rows(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), queryLimit)
	defer cancel()
	if err := a.ensureTable(ctx); err != nil {
		a.reply(w, "/rows", http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	switch r.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) == 0 || len(body) > maxBody {
			a.reply(w, "/rows", http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("send a body of 1 to %d bytes", maxBody)})
			return
		}
		var id int64
		if err := a.pool.QueryRow(ctx, "INSERT INTO webstack_demo_rows (body) VALUES ($1) RETURNING id", string(body)).Scan(&id); err != nil {
			a.reply(w, "/rows", http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		a.written.Add(1)
		a.reply(w, "/rows", http.StatusCreated, map[string]any{"id": id, "body": string(body)})
	case http.MethodGet:
		var total int64
		if err := a.pool.QueryRow(ctx, "SELECT count(*) FROM webstack_demo_rows").Scan(&total); err != nil {
			a.reply(w, "/rows", http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		result, err := a.pool.Query(ctx, "SELECT id, body FROM webstack_demo_rows ORDER BY id DESC LIMIT $1", listLimit)
		if err != nil {
			a.reply(w, "/rows", http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		defer result.Close()
		type row struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
		}
		out := []row{}
		for result.Next() {
			var x row
			if err := result.Scan(&x.ID, &x.Body); err != nil {
				a.reply(w, "/rows", http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
				return
			}
			out = append(out, x)
		}
		if err := result.Err(); err != nil {
			a.reply(w, "/rows", http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		a.reply(w, "/rows", http.StatusOK, map[string]any{"count": total, "rows": out})
	default:
		w.Header().Set("Allow", "GET, POST")
		a.reply(w, "/rows", http.StatusMethodNotAllowed, map[string]string{"error": "use GET or POST"})
	}
}

func (a *app) metrics(w http.ResponseWriter, _ *http.Request) {
	a.count("/metrics", http.StatusOK)
	a.mu.Lock()
	keys := make([]string, 0, len(a.requests))
	for k := range a.requests {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# HELP webstack_demo_requests_total HTTP requests served, by path and status code.\n")
	b.WriteString("# TYPE webstack_demo_requests_total counter\n")
	for _, k := range keys {
		path, code, _ := strings.Cut(k, " ")
		fmt.Fprintf(&b, "webstack_demo_requests_total{path=%q,code=%q} %d\n", path, code, a.requests[k])
	}
	a.mu.Unlock()
	up := 0
	if a.dbUp.Load() {
		up = 1
	}
	fmt.Fprintf(&b, "# HELP webstack_demo_database_up 1 if the last readiness query succeeded.\n# TYPE webstack_demo_database_up gauge\nwebstack_demo_database_up %d\n", up)
	fmt.Fprintf(&b, "# HELP webstack_demo_rows_written_total Rows this process inserted.\n# TYPE webstack_demo_rows_written_total counter\nwebstack_demo_rows_written_total %d\n", a.written.Load())
	fmt.Fprintf(&b, "# HELP webstack_demo_build_info The running build.\n# TYPE webstack_demo_build_info gauge\nwebstack_demo_build_info{version=%q} 1\n", version)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = io.WriteString(w, b.String())
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", a.health)
	mux.HandleFunc("/ready", a.ready)
	mux.HandleFunc("/metrics", a.metrics)
	mux.HandleFunc("/version", a.versionHandler)
	mux.HandleFunc("/rows", a.rows)
	return mux
}

func listenAddr(getenv func(string) string) string {
	if addr := getenv("LISTEN_ADDR"); addr != "" {
		return addr
	}
	if port := getenv("PORT"); port != "" {
		return ":" + port
	}
	return ":8080"
}

func shutdownDelay(getenv func(string) string) (time.Duration, error) {
	raw := getenv("SHUTDOWN_DELAY_SECONDS")
	if raw == "" {
		return 5 * time.Second, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > 300 {
		return 0, fmt.Errorf("SHUTDOWN_DELAY_SECONDS: %q is not a whole number of seconds from 0 to 300", raw)
	}
	return time.Duration(n) * time.Second, nil
}

func run() error {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	dsn, err := databaseURL(os.Getenv)
	if err != nil {
		return err
	}
	delay, err := shutdownDelay(os.Getenv)
	if err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("database settings: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("database pool: %w", err)
	}
	defer pool.Close()
	a := &app{pool: pool, requests: map[string]int64{}}
	server := &http.Server{Addr: listenAddr(os.Getenv), Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- server.ListenAndServe() }()
	log.Info("serving", "addr", server.Addr, "version", version, "database", cfg.ConnConfig.Host)
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	a.stopping.Store(true)
	log.Info("stopping: unready, still serving", "delay", delay.String())
	time.Sleep(delay)
	drain, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := server.Shutdown(drain); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "webstack-demo:", err)
		os.Exit(1)
	}
}
