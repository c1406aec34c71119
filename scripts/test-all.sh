#!/usr/bin/env bash
# The one test command (`npm test`): installs/verifies the real engines, type-checks the
# program and every service, then runs every test (program, config content, engines,
# services) in one jest run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/test-infra/install-tools.sh
npm run --silent typecheck
npm run --silent typecheck --workspaces --if-present
npx jest --ci "$@"
