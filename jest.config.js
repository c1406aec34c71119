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
  // Global in jest 29 (a project-level testTimeout is ignored): real engines start slowly.
  testTimeout: 180000,
  maxWorkers: 2,
  projects: [
    {
      displayName: "program",
      testEnvironment: "node",
      testEnvironmentOptions: { globalsCleanup: "off" },
      roots: ["<rootDir>/tests", "<rootDir>/components"],
      testMatch: ["**/*.test.ts"],
      transform: tsTransform,
    },
    ...serviceProjects,
  ],
};
