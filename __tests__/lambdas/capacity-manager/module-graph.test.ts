/**
 * The capacity manager's folders show its architecture (issue #19): the import graph has no cycles, the decision
 * modules stay small, ports depend on the domain's types only, and handlers reach adapters only through their wiring.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../../../lambdas/capacity-manager");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a file, resolved to files inside the Lambda (type-only imports included). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(/from\s+"(\.[^"]+)"/g)].flatMap(([, spec]) => {
    const target = normalize(join(dirname(file), spec as string));
    return [`${target}.ts`, join(target, "index.ts")].filter((candidate) => candidate.startsWith(ROOT) && existsSync(candidate)).slice(0, 1);
  });
}

const files = tsFiles(ROOT);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file: string) => relative(ROOT, file);

describe("capacity manager module graph", () => {
  it("GIVEN every module of the Lambda THEN no import cycle exists", () => {
    // The graph is the real one: the decision's entry reaches its modules.
    expect((graph.get(join(ROOT, "domain/decision/index.ts")) ?? []).map(name)).toContain("domain/decision/extension.ts");
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (file: string): void => {
      state.set(file, "open");
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next].map(name).join(" -> "));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, "done");
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it("GIVEN the decision modules THEN each stays under 300 lines", () => {
    const long = files
      .filter((file) => name(file).startsWith("domain/decision/"))
      .map((file) => [name(file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });

  it("GIVEN service/ports.ts THEN of the domain it imports only its types, spend and declared contracts (never the decision)", () => {
    const domain = (graph.get(join(ROOT, "service/ports.ts")) ?? []).map(name).filter((file) => file.startsWith("domain/"));
    expect(domain.filter((file) => file.startsWith("domain/decision/"))).toEqual([]);
    expect(domain).toContain("domain/types.ts");
  });

  it("GIVEN the handlers THEN only the wiring (dependencies.ts) imports adapters", () => {
    const offenders = files
      .filter((file) => name(file).startsWith("handlers/") && name(file) !== "handlers/dependencies.ts")
      .filter((file) => (graph.get(file) ?? []).some((target) => name(target).startsWith("adapters/")))
      .map(name);
    expect(offenders).toEqual([]);
  });
});
