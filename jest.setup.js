/**
 * Loaded by every jest project, whether run from the root config or from a service's own
 * (`npm test -w services/<name>`): real engines start slowly, so every test gets 3 minutes
 * unless it asks for more. (A `testTimeout` key in a project config is ignored and warned about.)
 */
jest.setTimeout(180_000);
