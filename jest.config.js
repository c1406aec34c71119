/**
 * One jest run for everything: the program/config/engine tests at the root and each
 * service's own tests (services/<name>/jest.config.js), so CI gets one summary.
 */
const fs = require("fs");
const path = require("path");

const servicesDir = path.join(__dirname, "services");
const serviceProjects = fs.existsSync(servicesDir)
  ? fs
      .readdirSync(servicesDir)
      .map((name) => path.join(servicesDir, name, "jest.config.js"))
      .filter((file) => fs.existsSync(file))
  : [];

const tsTransform = { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] }; // type checks: `npm run typecheck`

module.exports = {
  maxWorkers: 2,
  projects: [
    {
      displayName: "program",
      testEnvironment: "node",
      testEnvironmentOptions: { globalsCleanup: "off" },
      roots: ["<rootDir>/tests", "<rootDir>/components"],
      testMatch: ["**/*.test.ts"],
      transform: tsTransform,
      setupFilesAfterEnv: [path.join(__dirname, "jest.setup.js")],
    },
    ...serviceProjects,
  ],
};
