//go:build tools

// The External Secrets Operator's API types at the release engines/eso.sh pins; controller-gen
// generates its CRDs from them for the tests (nothing from upstream is committed).
package tools

import (
	_ "github.com/external-secrets/external-secrets/apis/externalsecrets/v1"
)
