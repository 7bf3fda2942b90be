// A stand-in for the pulumi-random resource plugin, built by scripts/toolchain/pulumi.sh as `pulumi-resource-random`:
// RandomPassword and RandomString only.
//
// Why a stand-in: the real plugin (github.com/pulumi/pulumi-random/provider/v4) cannot be built here, the Go module
// proxy reachable from this project's machines refuses every version of it (see scripts/toolchain/pulumi.sh).
// webstack uses one resource of the package, random:index/randomPassword:RandomPassword (the database password, the
// Grafana admin password); this plugin serves it (and its twin RandomString) with the same type tokens, inputs and
// outputs (`result`; not `bcryptHash`, which webstack never reads), so the program and its state are those of the real
// package, which can replace this file once it can be built. It is written for webstack (not copied) against the
// ResourceProvider gRPC protocol of the pinned sdk/v3 module. It is a Go binary, not a Python script, because its start
// sits on the critical path of every preview and up (RandomPassword -> Secret -> Deployment).
//
// Semantics follow the upstream Terraform resources: every input forces a replacement (so an unchanged program never
// regenerates a password); the value comes from crypto/rand; min_* counts are honoured first, the rest drawn from
// every enabled character set, then shuffled. Defaults: lower, upper, numeric, special true (`number` is the legacy
// name of `numeric`), min_* 0, special characters !@#$%&*()-_=+[]{}<>:? unless overrideSpecial is set. Outputs and
// `__`-prefixed keys are not inputs. Inputs are judged as Python would judge them (truthiness, int()), so a state
// written by the earlier Python version of this stand-in behaves the same.
//
// Started by the engine as `pulumi-resource-random ENGINE_ADDRESS [ARGS...]` (the arguments are not used); prints its
// port on stdout and serves gRPC on 127.0.0.1 until killed.
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	version = "4.21.4"
	// The engine's sentinel for a value known only after apply.
	unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
	// GetSchema's answer, byte for byte what the earlier Python stand-in sent (json.dumps spacing).
	schema = `{"name": "random", "version": "` + version + `"}`

	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

var (
	types   = map[string]bool{"random:index/randomPassword:RandomPassword": true, "random:index/randomString:RandomString": true}
	outputs = map[string]bool{"result": true, "bcryptHash": true}
)

// props is a property map as the engine sends it; a nil value or a value without a kind is null.
type props = map[string]*structpb.Value

// appError is a failure that is not the request's fault as such: reported as gRPC UNKNOWN with the wording a Python
// gRPC server gives an exception, as the earlier Python stand-in did.
func appError(format string, args ...any) error {
	return status.Errorf(codes.Unknown, "Exception calling application: "+format, args...)
}

// --- values ----------------------------------------------------------------------------------------------------------

func isNull(v *structpb.Value) bool {
	if v == nil || v.Kind == nil {
		return true
	}
	_, ok := v.Kind.(*structpb.Value_NullValue)
	return ok
}

// normalize deep-copies v, turning kindless values into null and refusing non-finite numbers (which have no JSON
// form): what a round trip through JSON-like values does.
func normalize(v *structpb.Value) (*structpb.Value, error) {
	switch k := v.GetKind().(type) {
	case nil, *structpb.Value_NullValue:
		return structpb.NewNullValue(), nil
	case *structpb.Value_NumberValue:
		if math.IsInf(k.NumberValue, 0) {
			return nil, appError("Fail to serialize Infinity for Value.number_value, which would parse as string_value")
		}
		if math.IsNaN(k.NumberValue) {
			return nil, appError("Fail to serialize NaN for Value.number_value, which would parse as string_value")
		}
		return structpb.NewNumberValue(k.NumberValue), nil
	case *structpb.Value_StringValue:
		return structpb.NewStringValue(k.StringValue), nil
	case *structpb.Value_BoolValue:
		return structpb.NewBoolValue(k.BoolValue), nil
	case *structpb.Value_ListValue:
		list := &structpb.ListValue{Values: make([]*structpb.Value, 0, len(k.ListValue.GetValues()))}
		for _, item := range k.ListValue.GetValues() {
			n, err := normalize(item)
			if err != nil {
				return nil, err
			}
			list.Values = append(list.Values, n)
		}
		return structpb.NewListValue(list), nil
	case *structpb.Value_StructValue:
		fields, err := toProps(k.StructValue)
		if err != nil {
			return nil, err
		}
		return structpb.NewStructValue(&structpb.Struct{Fields: fields}), nil
	default:
		return nil, appError("unsupported value kind %T", k)
	}
}

// toProps is the struct's fields, normalized; an absent struct is empty.
func toProps(s *structpb.Struct) (props, error) {
	out := make(props, len(s.GetFields()))
	for key, value := range s.GetFields() {
		n, err := normalize(value)
		if err != nil {
			return nil, err
		}
		out[key] = n
	}
	return out, nil
}

func toStruct(p props) *structpb.Struct { return &structpb.Struct{Fields: p} }

// orEmpty: the engine always gets the struct it sent back, empty rather than absent.
func orEmpty(s *structpb.Struct) *structpb.Struct {
	if s == nil {
		return &structpb.Struct{}
	}
	return s
}

// truthy is Python's bool(): null, false, 0, "", [] and {} are false.
func truthy(v *structpb.Value) bool {
	switch k := v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		return k.BoolValue
	case *structpb.Value_NumberValue:
		return k.NumberValue != 0
	case *structpb.Value_StringValue:
		return k.StringValue != ""
	case *structpb.Value_ListValue:
		return len(k.ListValue.GetValues()) > 0
	case *structpb.Value_StructValue:
		return len(k.StructValue.GetFields()) > 0
	default:
		return false
	}
}

// pyType is the Python type name of the value, for error messages.
func pyType(v *structpb.Value) string {
	switch v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		return "bool"
	case *structpb.Value_NumberValue:
		return "float"
	case *structpb.Value_StringValue:
		return "str"
	case *structpb.Value_ListValue:
		return "list"
	case *structpb.Value_StructValue:
		return "dict"
	default:
		return "NoneType"
	}
}

// asNumber: a bool or a number as a float (Python's bool is an int), ok false for anything else.
func asNumber(v *structpb.Value) (float64, bool) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		if k.BoolValue {
			return 1, true
		}
		return 0, true
	case *structpb.Value_NumberValue:
		return k.NumberValue, true
	default:
		return 0, false
	}
}

// pyInt is Python's int(v): numbers truncated toward zero, booleans 0 or 1, strings parsed in base 10 (surrounding
// whitespace, a sign and single underscores between digits allowed); anything else is an error.
func pyInt(v *structpb.Value) (float64, error) {
	if n, ok := asNumber(v); ok {
		return math.Trunc(n), nil
	}
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok {
		return 0, appError("int() argument must be a string, a bytes-like object or a real number, not '%s'", pyType(v))
	}
	bad := appError("invalid literal for int() with base 10: %s", pyRepr(s.StringValue))
	text := strings.TrimSpace(s.StringValue)
	sign := 1.0
	if text != "" && (text[0] == '+' || text[0] == '-') {
		if text[0] == '-' {
			sign = -1
		}
		text = text[1:]
	}
	if text == "" || text[0] == '_' || text[len(text)-1] == '_' || strings.Contains(text, "__") {
		return 0, bad
	}
	digits := strings.ReplaceAll(text, "_", "")
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseFloat(digits, 64)
	if err != nil {
		return 0, bad
	}
	return sign * n, nil
}

// pyIntOr0 is Python's int(v or 0).
func pyIntOr0(v *structpb.Value) (float64, error) {
	if !truthy(v) {
		return 0, nil
	}
	return pyInt(v)
}

// pyRepr is Python's repr() of a string, near enough for an error message.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// formatInt prints a whole float as Python prints the int.
func formatInt(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }

// pyEqual is Python's == on the JSON-like values: null only equals null, booleans and numbers compare as numbers,
// lists and objects element by element.
func pyEqual(a, b *structpb.Value) bool {
	if isNull(a) || isNull(b) {
		return isNull(a) && isNull(b)
	}
	if x, ok := asNumber(a); ok {
		y, ok := asNumber(b)
		return ok && x == y
	}
	switch x := a.Kind.(type) {
	case *structpb.Value_StringValue:
		y, ok := b.Kind.(*structpb.Value_StringValue)
		return ok && x.StringValue == y.StringValue
	case *structpb.Value_ListValue:
		y, ok := b.Kind.(*structpb.Value_ListValue)
		if !ok || len(x.ListValue.GetValues()) != len(y.ListValue.GetValues()) {
			return false
		}
		for i, item := range x.ListValue.GetValues() {
			if !pyEqual(item, y.ListValue.GetValues()[i]) {
				return false
			}
		}
		return true
	case *structpb.Value_StructValue:
		y, ok := b.Kind.(*structpb.Value_StructValue)
		if !ok || len(x.StructValue.GetFields()) != len(y.StructValue.GetFields()) {
			return false
		}
		for key, item := range x.StructValue.GetFields() {
			other, ok := y.StructValue.GetFields()[key]
			if !ok || !pyEqual(item, other) {
				return false
			}
		}
		return true
	default:
		return false
	}
}

// --- the resources ---------------------------------------------------------------------------------------------------

// typeOf is the resource type of urn:pulumi:<stack>::<project>::<parent types$>type::name.
func typeOf(urn string) string {
	if strings.Count(urn, "::") < 3 {
		return ""
	}
	qualified := strings.Split(urn, "::")[2]
	return qualified[strings.LastIndex(qualified, "$")+1:]
}

// inputsOf drops the outputs and the engine's `__` keys.
func inputsOf(p props) props {
	out := make(props, len(p))
	for key, value := range p {
		if !outputs[key] && !strings.HasPrefix(key, "__") {
			out[key] = value
		}
	}
	return out
}

// flag is a character set switch: the input, else its legacy name, else on.
func flag(inputs props, name, legacy string) bool {
	if v, ok := inputs[name]; ok {
		return truthy(v)
	}
	if v, ok := inputs[legacy]; legacy != "" && ok {
		return truthy(v)
	}
	return true
}

func problems(inputs props) ([]*pulumirpc.CheckFailure, error) {
	length, ok := asNumber(inputs["length"])
	if !ok || length < 1 || math.Trunc(length) != length {
		return []*pulumirpc.CheckFailure{{Property: "length", Reason: "length: a whole number of at least 1"}}, nil
	}
	var failures []*pulumirpc.CheckFailure
	mins := 0.0
	for _, key := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		n, err := pyIntOr0(inputs[key])
		if err != nil {
			return nil, err
		}
		mins += n
	}
	if mins > length {
		failures = append(failures, &pulumirpc.CheckFailure{
			Property: "length",
			Reason:   fmt.Sprintf("length %s is below the min_* sum %s", formatInt(length), formatInt(mins)),
		})
	}
	if !flag(inputs, "lower", "") && !flag(inputs, "upper", "") && !flag(inputs, "numeric", "number") &&
		!flag(inputs, "special", "") {
		failures = append(failures, &pulumirpc.CheckFailure{Property: "lower", Reason: "every character set is switched off"})
	}
	return failures, nil
}

// choice is a uniformly drawn element of set, from crypto/rand.
func choice(set []rune) (rune, error) {
	if len(set) == 0 {
		return 0, appError("Cannot choose from an empty sequence")
	}
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		return 0, appError("%v", err)
	}
	return set[i.Int64()], nil
}

func generate(inputs props) (string, error) {
	special := []rune(specialChars)
	if override := inputs["overrideSpecial"]; truthy(override) {
		s, ok := override.Kind.(*structpb.Value_StringValue)
		if ok {
			special = []rune(s.StringValue)
		} else {
			special = nil // only an error if the special set is enabled (below)
		}
	}
	type charset struct {
		enabled bool
		chars   []rune
		minimum float64
		name    string
	}
	sets := []charset{
		{flag(inputs, "lower", ""), []rune(lowerChars), 0, "minLower"},
		{flag(inputs, "upper", ""), []rune(upperChars), 0, "minUpper"},
		{flag(inputs, "numeric", "number"), []rune(numericChars), 0, "minNumeric"},
		{flag(inputs, "special", ""), special, 0, "minSpecial"},
	}
	for i := range sets {
		n, err := pyIntOr0(inputs[sets[i].name])
		if err != nil {
			return "", err
		}
		sets[i].minimum = n
	}
	var chars, pool []rune
	for _, set := range sets {
		if !set.enabled {
			continue
		}
		if set.chars == nil {
			return "", appError(`can only concatenate str (not "%s") to str`, pyType(inputs["overrideSpecial"]))
		}
		pool = append(pool, set.chars...)
		for range int(math.Max(set.minimum, 0)) {
			r, err := choice(set.chars)
			if err != nil {
				return "", err
			}
			chars = append(chars, r)
		}
	}
	lengthValue, ok := inputs["length"]
	if !ok {
		return "", appError("'length'")
	}
	length, err := pyInt(lengthValue)
	if err != nil {
		return "", err
	}
	for range int(math.Max(length-float64(len(chars)), 0)) {
		r, err := choice(pool)
		if err != nil {
			return "", err
		}
		chars = append(chars, r)
	}
	// Fisher-Yates, from crypto/rand.
	for i := len(chars) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", appError("%v", err)
		}
		chars[i], chars[j.Int64()] = chars[j.Int64()], chars[i]
	}
	return string(chars), nil
}

func withResult(inputs props, result *structpb.Value) *structpb.Struct {
	out := make(props, len(inputs)+1)
	for key, value := range inputs {
		out[key] = value
	}
	out["result"] = result
	return toStruct(out)
}

// --- the gRPC service ------------------------------------------------------------------------------------------------

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func (provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: orEmpty(req.GetNews())}, nil
}

func (provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: true}, nil
}

func (provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if !types[typeOf(req.GetUrn())] {
		return nil, status.Errorf(codes.InvalidArgument, "unknown resource type in %s", req.GetUrn())
	}
	news, err := toProps(req.GetNews())
	if err != nil {
		return nil, err
	}
	failures, err := problems(inputsOf(news))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: orEmpty(req.GetNews()), Failures: failures}, nil
}

func (provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOlds()
	if req.GetOldInputs() != nil { // present on the wire, even if empty
		oldStruct = req.GetOldInputs()
	}
	olds, err := toProps(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := toProps(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, news = inputsOf(olds), inputsOf(news)
	var changed []string
	for key := range olds {
		if !pyEqual(olds[key], news[key]) {
			changed = append(changed, key)
		}
	}
	for key := range news {
		if _, seen := olds[key]; !seen && !pyEqual(nil, news[key]) {
			changed = append(changed, key)
		}
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	sort.Strings(changed)
	// Like upstream, every input forces a new value.
	return &pulumirpc.DiffResponse{
		Changes:             pulumirpc.DiffResponse_DIFF_SOME,
		Replaces:            changed,
		Diffs:               changed,
		DeleteBeforeReplace: false,
	}, nil
}

func (provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	all, err := toProps(req.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs := inputsOf(all)
	result := unknown
	if !req.GetPreview() {
		if result, err = generate(inputs); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.CreateResponse{Id: "none", Properties: withResult(inputs, structpb.NewStringValue(result))}, nil
}

func (provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	all, err := toProps(req.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs := inputsOf(all)
	if req.GetInputs() != nil {
		if inputs, err = toProps(req.GetInputs()); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: orEmpty(req.GetProperties()), Inputs: toStruct(inputs)}, nil
}

func (provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	// Only reached when nothing changed (every input change is a replacement).
	olds, err := toProps(req.GetOlds())
	if err != nil {
		return nil, err
	}
	result, ok := olds["result"]
	if !ok {
		result = structpb.NewStringValue(unknown)
	}
	news, err := toProps(req.GetNews())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: withResult(inputsOf(news), result)}, nil
}

func (provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-random: %v\n", err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	pulumirpc.RegisterResourceProviderServer(server, provider{})
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)
	if err := server.Serve(listener); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-random: %v\n", err)
		os.Exit(1)
	}
}
