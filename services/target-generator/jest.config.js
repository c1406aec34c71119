/** Jest project for @helios/target-generator (picked up by the root jest config too). */
module.exports = {
  displayName: "target-generator",
  rootDir: __dirname,
  testEnvironment: "node",
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  setupFilesAfterEnv: ["<rootDir>/../../jest.setup.js"], // 3-minute test timeout
};
