# Engine: actionlint, the GitHub Actions workflow checker: .github/workflows/images.yml is checked
# with it (tests/images/workflow.test.ts); the workflow itself runs only on users' CI.
# Sourced by install-tools.sh; defines install_actionlint.
HELIOS_ACTIONLINT_VERSION="v1.7.12"

install_actionlint() {
  go_tool actionlint "github.com/rhysd/actionlint/cmd/actionlint@$HELIOS_ACTIONLINT_VERSION"
  go_tool_version_ok actionlint "$HELIOS_ACTIONLINT_VERSION"
}
