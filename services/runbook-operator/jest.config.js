/** Jest project for @helios/runbook-operator (picked up by the root jest config too). */
module.exports = {
  displayName: "runbook-operator",
  rootDir: __dirname,
  testEnvironment: "node",
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/../../jest.setup.js"], // 3-minute test timeout
};
