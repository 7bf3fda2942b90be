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
// there is nothing for the host to install. Code generation, `pulumi new` prompts, `pulumi convert` and policy
// packs are not supported.
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
