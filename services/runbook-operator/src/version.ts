/**
 * `--version`: prints "<package name> <version>" and exits 0 before any settings are read, so an
 * image can be identified (and its Node runtime proven to start) without configuration. Imported
 * for its side effect as the entry point's first import; package.json is found upward from here
 * (the image has it at /app/package.json).
 */
import * as fs from "fs";
import * as path from "path";

if (process.argv.slice(2).includes("--version")) {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name: string; version: string };
  process.stdout.write(`${pkg.name} ${pkg.version} (node ${process.version} ${process.arch})\n`);
  process.exit(0);
}
