/** @helios/flow-enricher tests (picked up by the root jest config as a project). */
module.exports = {
  displayName: "flow-enricher",
  rootDir: __dirname,
  testEnvironment: "node",
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/../../jest.setup.js"], // 3-minute test timeout
};
