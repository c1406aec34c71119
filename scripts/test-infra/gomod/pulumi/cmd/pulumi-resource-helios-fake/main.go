// pulumi-resource-helios-fake: a DECLARED FAKE resource provider for the real-deployment tests.
//
// The random, minio and aws providers are Terraform-bridged and the Go module proxy does not serve
// them, so they cannot be built here. engines/pulumi.sh installs this one binary under their names and
// versions (as package.json pins them). It covers exactly the resources the stacks register:
//   - random:index/randomPassword:RandomPassword  -> `result` is a fresh random string of `length`
//   - minio:*  (S3Bucket, S3BucketVersioning, IlmPolicy, IamUser, IamPolicy, IamUserPolicyAttachment, provider)
//   - aws:*    (s3 Bucket and its configs, iam User/UserPolicy/AccessKey, provider; cloud-s3 topology only)
// minio and aws resources echo their inputs as outputs and get an id; no bucket or user is made, so
// tests of buckets, users and replication run against the real MinIO engine instead (tests/engines).
// Any other type is refused, so a new resource cannot pass through unnoticed.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The engine's marker for a value not known until apply.
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

type fakeProvider struct {
	rpc.UnimplementedResourceProviderServer
	pkg     string
	version string
}

// The type is the URN's second-to-last part, after any parent types (`parent$type`).
func resourceType(urn string) string {
	parts := strings.Split(urn, "::")
	qualified := strings.Split(parts[len(parts)-2], "$")
	return qualified[len(qualified)-1]
}

func (p *fakeProvider) covers(typ string) error {
	covered := p.pkg == "minio" || p.pkg == "aws" || typ == "random:index/randomPassword:RandomPassword"
	if !covered || !strings.HasPrefix(typ, p.pkg+":") {
		return fmt.Errorf("helios-fake provider (%s): %s is not a resource this fake covers; see its header", p.pkg, typ)
	}
	return nil
}

func (p *fakeProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*rpc.PluginInfo, error) {
	return &rpc.PluginInfo{Version: p.version}, nil
}
func (p *fakeProvider) GetSchema(context.Context, *rpc.GetSchemaRequest) (*rpc.GetSchemaResponse, error) {
	return &rpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, p.pkg, p.version)}, nil
}
func (p *fakeProvider) CheckConfig(_ context.Context, r *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	return &rpc.CheckResponse{Inputs: r.News}, nil
}
func (p *fakeProvider) DiffConfig(context.Context, *rpc.DiffRequest) (*rpc.DiffResponse, error) {
	return &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_NONE}, nil
}
func (p *fakeProvider) Configure(context.Context, *rpc.ConfigureRequest) (*rpc.ConfigureResponse, error) {
	return &rpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}
func (p *fakeProvider) Check(_ context.Context, r *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	if err := p.covers(resourceType(r.Urn)); err != nil {
		return nil, err
	}
	return &rpc.CheckResponse{Inputs: r.News}, nil
}

// Diff compares inputs key by key; a password's length change replaces it, like the real provider.
func (p *fakeProvider) Diff(_ context.Context, r *rpc.DiffRequest) (*rpc.DiffResponse, error) {
	olds := r.OldInputs
	if olds == nil {
		olds = r.Olds
	}
	changed := map[string]bool{}
	for k, v := range r.News.GetFields() {
		if o, ok := olds.GetFields()[k]; !ok || !proto.Equal(o, v) {
			changed[k] = true
		}
	}
	for k := range olds.GetFields() {
		if _, ok := r.News.GetFields()[k]; !ok {
			changed[k] = true
		}
	}
	if len(changed) == 0 {
		return &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_NONE}, nil
	}
	var diffs, replaces []string
	for k := range changed {
		diffs = append(diffs, k)
		if strings.HasPrefix(resourceType(r.Urn), "random:") {
			replaces = append(replaces, k)
		}
	}
	return &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_SOME, Diffs: diffs, Replaces: replaces}, nil
}

func randomString(length int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	out := make([]byte, length)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		out[i] = alphabet[n.Int64()]
	}
	return string(out)
}

func (p *fakeProvider) outputs(typ string, inputs *structpb.Struct, preview bool) *structpb.Struct {
	out := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for k, v := range inputs.GetFields() {
		out.Fields[k] = v
	}
	switch typ {
	case "random:index/randomPassword:RandomPassword":
		if preview {
			out.Fields["result"] = structpb.NewStringValue(unknownValue)
		} else {
			length := int(inputs.GetFields()["length"].GetNumberValue())
			if length <= 0 {
				length = 16
			}
			out.Fields["result"] = structpb.NewStringValue(randomString(length))
		}
	case "aws:iam/accessKey:AccessKey":
		if preview {
			out.Fields["secret"] = structpb.NewStringValue(unknownValue)
		} else {
			out.Fields["secret"] = structpb.NewStringValue(randomString(40))
		}
	}
	return out
}

func newID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "fake-" + hex.EncodeToString(b)
}

func (p *fakeProvider) Create(_ context.Context, r *rpc.CreateRequest) (*rpc.CreateResponse, error) {
	typ := resourceType(r.Urn)
	if err := p.covers(typ); err != nil {
		return nil, err
	}
	id := ""
	if !r.Preview {
		id = newID()
	}
	return &rpc.CreateResponse{Id: id, Properties: p.outputs(typ, r.Properties, r.Preview)}, nil
}
func (p *fakeProvider) Read(_ context.Context, r *rpc.ReadRequest) (*rpc.ReadResponse, error) {
	return &rpc.ReadResponse{Id: r.Id, Properties: r.Properties, Inputs: r.Inputs}, nil
}
func (p *fakeProvider) Update(_ context.Context, r *rpc.UpdateRequest) (*rpc.UpdateResponse, error) {
	props := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for k, v := range r.Olds.GetFields() {
		props.Fields[k] = v
	}
	for k, v := range r.News.GetFields() {
		props.Fields[k] = v
	}
	return &rpc.UpdateResponse{Properties: props}, nil
}
func (p *fakeProvider) Delete(context.Context, *rpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
func (p *fakeProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// The engine runs a plugin from its cache directory, resource-<package>-v<version>/.
func main() {
	dir := filepath.Base(filepath.Dir(os.Args[0]))
	pkg, version := "unknown", "0.0.0"
	if rest, ok := strings.CutPrefix(dir, "resource-"); ok {
		if i := strings.LastIndex(rest, "-v"); i >= 0 {
			pkg, version = rest[:i], rest[i+2:]
		}
	}
	if err := provider.Main(pkg, func(*provider.HostClient) (rpc.ResourceProviderServer, error) {
		return &fakeProvider{pkg: pkg, version: version}, nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
