#!/usr/bin/env bash
# The one test command (`npm test`): switches to Node 24 (scripts/test-infra/node.sh), installs or
# verifies the real engines, type-checks the program and every service, then runs every test
# (program, config content, engines, services, real deployments) in one jest run.
# Arguments go to jest: `npm test -- tests/deploy` runs one folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/test-infra/node.sh
bash scripts/test-infra/install-tools.sh
npm run --silent typecheck
npm run --silent typecheck --workspaces --if-present
npx jest --ci "$@"
