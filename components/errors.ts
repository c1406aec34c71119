/**
 * The one error type for bad input the person deploying must fix: a stack config key
 * (Pulumi.<stack>.yaml) or a content file under config/ (and the service files the program
 * deploys). The message names the file and the path inside it (`<file>: <path>: <what is
 * wrong>`), so it can be fixed without reading code. Thrown before the first resource is
 * registered (components/content.ts, config.ts), except for checks that need a peer stack's
 * outputs (storage/federation.ts), which exist only once the program runs.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }

  /** An error at `at` (a key path such as `rules[2].pattern`) in `file`. */
  static at(file: string, at: string, detail: string): ConfigError {
    return new ConfigError(`${file}: ${at}: ${detail}`);
  }
}

/** The stack's config file, named in stack config errors. */
export function stackFile(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** One error for every problem of a stack's config, each naming its key (`helios:<key>...`). */
export function stackConfigError(stack: string, problems: readonly string[]): ConfigError {
  return new ConfigError(`invalid Helios stack config for stack "${stack}" (${stackFile(stack)}):\n  - ${problems.join("\n  - ")}`);
}
