// A minimal Pulumi language host for Python, built by scripts/toolchain/pulumi.sh as `pulumi-language-python`.
//
// Why our own: the upstream host is its own Go module (github.com/pulumi/pulumi/sdk/python/cmd/
// pulumi-language-python/v3) and the module proxy reachable from this project's machines refuses every version of it
// (403 "This module version is not available"), so it cannot be built here. This file is written for webstack (not
// copied); it speaks the LanguageRuntime gRPC protocol from the pinned sdk/v3 module and runs programs through the
// upstream `pulumi-language-python-exec` script (shipped in sdk/v3 and copied beside this binary), exactly as the
// upstream host does.
//
// Scope: what `pulumi preview/up/refresh/destroy/stack` need. Run starts the exec script with the python of the
// project's `virtualenv` runtime option (else $PULUMI_PYTHON_CMD, else python3). Dependency questions get empty
// answers: plugins come from PATH (the toolchain's bin dir) and Python packages from the project's own venv, so
// there is nothing for the host to install.
//
// RunPlugin runs plugins written in Python that the engine finds as a directory rather than a binary: a policy pack
// (`pulumi preview --policy-pack DIR`, a directory with PulumiPolicy.yaml) and a component provider (a directory with
// PulumiPlugin.yaml, e.g. for `pulumi package add DIR` or a Pulumi.yaml `packages:` entry). Because this host is on
// PATH, the engine always goes through RunPlugin for those, never through `pulumi-analyzer-policy-python`. The
// plugin is `python DIR ARGS...`, i.e. the directory's __main__.py, with the python of the plugin's own `virtualenv`
// option (relative to DIR). Code generation (GeneratePackage, Pack, Link), `pulumi new` prompts and `pulumi convert`
// are not supported: `pulumi package add` into a Python project cannot generate an SDK here (a YAML project needs
// none; see README "Using the components from TypeScript or YAML").
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Set with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

const (
	execScriptName = "pulumi-language-python-exec"
	// The exec script exits with this code after it has already reported a user-actionable error.
	exitAfterReportedError = 32
)

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	execScript    string
}

func main() {
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		fatal("cannot locate own executable: %v", err)
	}
	h := &host{
		engineAddress: engineAddressFromArgs(os.Args[1:]),
		execScript:    filepath.Join(filepath.Dir(self), execScriptName),
	}
	if _, err := os.Stat(h.execScript); err != nil {
		fatal("missing %s beside the language host: %v", execScriptName, err)
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fatal("could not start language host RPC server: %v", err)
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatal("language host RPC stopped serving: %v", err)
	}
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: "+format+"\n", args...)
	os.Exit(1)
}

// engineAddressFromArgs returns the engine address: the last positional argument. The engine may put flags such as
// -tracing, -root or -virtualenv (with or without "=value") before it; we need none of them.
func engineAddressFromArgs(args []string) string {
	withValue := map[string]bool{"tracing": true, "root": true, "virtualenv": true, "use-executor": true,
		"toolchain": true, "typechecker": true}
	addr := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && withValue[name] {
				i++
			}
			continue
		}
		addr = a
	}
	return addr
}

func (h *host) Handshake(_ context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// Plugins are resolved from PATH by the engine when resources are registered, so nothing is announced up front.
func (h *host) GetRequiredPlugins(context.Context,
	*pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context,
	*pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context,
	*pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

// The project's venv is managed by the project (pip install -r requirements.txt); nothing to do here.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest,
	grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	rootDir := info.GetRootDirectory()
	if rootDir == "" {
		rootDir = programDir
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	program := entry
	if !filepath.IsAbs(program) {
		program = filepath.Join(programDir, entry)
	}

	python, venv, err := pythonFor(rootDir, info.GetOptions())
	if err != nil {
		return nil, err
	}

	args := []string{"-u", h.execScript,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--root_directory", rootDir,
	}
	if org := req.GetOrganization(); org != "" {
		args = append(args, "--organization", org)
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	// Never "null": the exec script iterates over both values.
	configMap, keys := req.GetConfig(), req.GetConfigSecretKeys()
	if configMap == nil {
		configMap = map[string]string{}
	}
	if keys == nil {
		keys = []string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("serializing secret config keys: %w", err)
	}

	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	if venv != "" {
		// As if the venv were activated, for any subprocess the program starts.
		cmd.Env = append(cmd.Env, "VIRTUAL_ENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitAfterReportedError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run %s): %v", python, err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin starts a Python plugin directory (a policy pack or a component provider) and streams its stdout and
// stderr back to the engine, which reads the plugin's gRPC port from the first line of stdout. The exit code is sent
// last; the engine treats a closed stream without one as exit code 0.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	info := req.GetInfo()
	pluginDir := info.GetProgramDirectory()
	if pluginDir == "" {
		return errors.New("RunPlugin: the engine sent no plugin directory")
	}
	rootDir := info.GetRootDirectory()
	if rootDir == "" {
		rootDir = pluginDir
	}
	python, venv, err := pythonFor(rootDir, info.GetOptions())
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(pluginDir, "__main__.py")); err != nil {
		return fmt.Errorf("RunPlugin: %s has no __main__.py to run: %w", pluginDir, err)
	}

	ctx := server.Context()
	// exec copies stdout and stderr in two goroutines, and a gRPC stream must not be sent on concurrently.
	var sendMu sync.Mutex
	send := func(resp *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(resp)
	}
	stdout := streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	})
	stderr := streamWriter(func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	})

	// -u: unbuffered, so the port line reaches the engine at once.
	cmd := exec.CommandContext(ctx, python, append([]string{"-u", pluginDir}, req.GetArgs()...)...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// The engine sends its whole environment (plus what the plugin needs); fall back to ours if it sent none.
	cmd.Env = req.GetEnv()
	if len(cmd.Env) == 0 {
		cmd.Env = os.Environ()
	}
	if venv != "" {
		cmd.Env = append(cmd.Env, "VIRTUAL_ENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+envValue(cmd.Env, "PATH"))
	}

	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("RunPlugin: could not run %s %s: %w", python, pluginDir, err)
		}
		code = int32(exitErr.ExitCode()) //nolint:gosec // exit codes fit
	}
	// cmd.Run has waited for both copying goroutines, so nothing is sent after the exit code.
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// streamWriter sends each write as one message (the bytes are copied: exec reuses its buffer).
type streamWriter func([]byte) error

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// envValue is the last value of NAME in an environment list (later entries win, as in exec).
func envValue(env []string, name string) string {
	value := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			value = v
		}
	}
	return value
}

// pythonFor picks the interpreter: the `virtualenv` runtime option (relative to the project root), else
// $PULUMI_PYTHON_CMD, else python3 from PATH. It returns the venv directory too when one is used.
func pythonFor(rootDir string, options *structpb.Struct) (string, string, error) {
	if v, ok := options.GetFields()["virtualenv"]; ok && v.GetStringValue() != "" {
		venv := v.GetStringValue()
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(rootDir, venv)
		}
		python := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(python); err != nil {
			return "", "", fmt.Errorf("virtualenv %q from Pulumi.yaml has no bin/python: %w", venv, err)
		}
		return python, venv, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, "", nil
	}
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, "", nil
		}
	}
	return "", "", errors.New("no python3 on PATH and no virtualenv option in Pulumi.yaml")
}
