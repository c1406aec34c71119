// pulumi-resource-kubernetes, built from the module the proxy serves. Upstream's main embeds
// schema-embed.json, which its Makefile generates and the module download lacks; engines/pulumi.sh
// writes both embedded files from the module's schema.json and terraform-mapping.json into a build
// directory in the tools cache (never into this checkout) before building this package.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
