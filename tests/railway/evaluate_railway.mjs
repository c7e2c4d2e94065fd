// Evaluates .railway/railway.ts offline, as `railway config plan` would before diffing, and prints
// the resulting project as JSON. Run with tsx (a dependency of the railway package):
//   node --import tsx tests/railway/evaluate_railway.mjs <railway.ts> <environment> [projectId]
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [file, environment, projectId] = process.argv.slice(2);
const railwayDir = dirname(resolve(file));
const pkgDir = join(railwayDir, "node_modules", "railway");
const exportsMap = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).exports;
const iac = await import(pathToFileURL(join(pkgDir, exportsMap["./iac"].import.default)).href);

const program = (await import(pathToFileURL(resolve(file)).href)).default;
if (typeof program !== "function") {
  throw new Error(`${file} must export default defineRailway(...)`);
}
const ctx = iac.createRailwayContext({ environment, ...(projectId ? { projectId } : {}) });
const definition = await program(ctx, iac.project);
process.stdout.write(JSON.stringify(definition));
