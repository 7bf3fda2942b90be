package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// clientReport is what `webstack-demo client` prints: one JSON object on stdout.
type clientReport struct {
	URL      string           `json:"url"`
	Method   string           `json:"method"`
	Sent     int              `json:"sent"`
	OK       int              `json:"ok"`
	Failed   int              `json:"failed"`
	Errors   map[string]int   `json:"errors"`
	Versions map[string]int   `json:"versions"`
	Last     string           `json:"last_version"`
	Bodies   []map[string]any `json:"bodies,omitempty"`
	Seconds  float64          `json:"seconds"`
}

// runClient sends at most -n requests, one every -interval, for at most -duration, then reports: a bounded
// load that stops by itself. A response counts as OK with a 2xx status; anything else is a failure.
func runClient(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	target := fs.String("url", "", "URL to request (required)")
	method := fs.String("method", http.MethodGet, "GET or POST")
	body := fs.String("body", "", "request body for POST; %d is replaced by the request number")
	n := fs.Int("n", 1, "most requests to send (1 to 100000)")
	interval := fs.Duration("interval", 0, "pause between requests")
	duration := fs.Duration("duration", time.Minute, "longest the loop may run (at most 30m)")
	timeout := fs.Duration("timeout", 3*time.Second, "timeout of one request")
	keep := fs.Bool("keep-bodies", false, "include the decoded JSON bodies in the report")
	stopVersion := fs.String("stop-after-version", "", "stop early once -stop-count answers in a row report this version")
	stopCount := fs.Int("stop-count", 100, "answers in a row of -stop-after-version that end the loop")
	startAfter := fs.Duration("start-after", 0, "wait this long first (at most 1m): a new pod's address reaches the NetworkPolicy enforcer's sets a moment after the pod starts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" || *n < 1 || *n > 100000 || *duration <= 0 || *duration > 30*time.Minute {
		return fmt.Errorf("client: give -url, -n from 1 to 100000 and -duration up to 30m")
	}
	if *method != http.MethodGet && *method != http.MethodPost {
		return fmt.Errorf("client: -method must be GET or POST")
	}
	if *startAfter < 0 || *startAfter > time.Minute {
		return fmt.Errorf("client: -start-after must be from 0 to 1m")
	}
	time.Sleep(*startAfter)
	// A new connection per request: each one goes through the Service's current endpoints.
	hc := &http.Client{Timeout: *timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	rep := clientReport{URL: *target, Method: *method, Errors: map[string]int{}, Versions: map[string]int{}}
	start := time.Now()
	deadline := start.Add(*duration)
	streak := 0
	for i := 1; i <= *n && time.Now().Before(deadline) && (*stopVersion == "" || streak < *stopCount); i++ {
		var reader io.Reader
		if *method == http.MethodPost {
			reader = strings.NewReader(strings.ReplaceAll(*body, "%d", fmt.Sprint(i)))
		}
		req, err := http.NewRequest(*method, *target, reader)
		if err != nil {
			return err
		}
		rep.Sent++
		resp, err := hc.Do(req)
		if err != nil {
			rep.Failed++
			rep.Errors[shortError(err)]++
		} else {
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				rep.OK++
				var decoded map[string]any
				if json.Unmarshal(raw, &decoded) == nil {
					if v, ok := decoded["version"].(string); ok {
						rep.Versions[v]++
						rep.Last = v
					}
					if rep.Last == *stopVersion {
						streak++
					} else {
						streak = 0
					}
					if *keep {
						rep.Bodies = append(rep.Bodies, decoded)
					}
				}
			} else {
				rep.Failed++
				rep.Errors[fmt.Sprintf("HTTP %d", resp.StatusCode)]++
			}
		}
		if *interval > 0 {
			time.Sleep(*interval)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return json.NewEncoder(stdout).Encode(rep)
}

func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

func init() {
	if len(os.Args) > 1 && os.Args[1] == "client" {
		if err := runClient(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "webstack-demo:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
}
