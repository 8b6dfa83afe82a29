import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBuffer, type Entry } from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLE_BUDGET_BYTES,
  buildCapacityManagerBundles,
  bundleLambda,
  capacityManagerHandlers,
  type LambdaBundle,
} from "../../../../src/constructs/capacity-manager/bundle";
import { deterministicZip } from "../../../../src/constructs/capacity-manager/zip";
import { projectRoot } from "../../../../src/lib/paths";

/** Entries of a zip as an independent reader (yauzl) sees them. */
async function readZip(zip: Buffer): Promise<Array<{ name: string; modified: Date; mode: number; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error) return reject(error);
      const entries: Array<{ name: string; modified: Date; mode: number; data: Buffer }> = [];
      file.on("entry", (entry: Entry) => {
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            entries.push({ name: entry.fileName, modified: entry.getLastModDate(), mode: entry.externalFileAttributes >>> 16, data: Buffer.concat(chunks) });
            file.readEntry();
          });
        });
      });
      file.on("end", () => resolve(entries));
      file.on("error", reject);
      file.readEntry();
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), "blockfleet-bundle-"));
let bundles: { reconcile: LambdaBundle; api: LambdaBundle };
beforeAll(() => {
  bundles = buildCapacityManagerBundles();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("capacity manager bundles", () => {
  it("stay under the size budget, itself well under 3 MB", () => {
    expect(BUNDLE_BUDGET_BYTES).toBeLessThan(3_000_000);
    for (const bundle of Object.values(bundles)) {
      expect(bundle.zipBytes, bundle.name).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
      expect(readFileSync(bundle.zipPath).length).toBe(bundle.zipBytes);
    }
  });

  it("give byte-identical archives when built twice from the same code", () => {
    // GIVEN a fresh build beside the one synth made (or cached)  WHEN compared  THEN the hashes (so the plan) are equal
    const fresh = bundleLambda({ name: "reconcile", entryPoint: capacityManagerHandlers().reconcile, cacheDir: join(scratch, "fresh"), useCache: false });
    expect(fresh.fromCache).toBe(false);
    expect(fresh.sha256).toBe(bundles.reconcile.sha256);
    expect(fresh.sourceCodeHash).toBe(bundles.reconcile.sourceCodeHash);
    expect(readFileSync(fresh.zipPath).equals(readFileSync(bundles.reconcile.zipPath))).toBe(true);
  });

  it("hold the loader, the minified bundle and its source map, with fixed dates and readable modes", async () => {
    const entries = await readZip(readFileSync(bundles.api.zipPath));
    expect(entries.map((entry) => entry.name)).toEqual(["api.bundle.js", "api.bundle.js.map", "api.js"]);
    for (const entry of entries) {
      expect(entry.modified.getFullYear()).toBe(1980);
      expect(entry.mode & 0o777).toBe(0o644);
    }
    const [bundle, map, loader] = entries.map((entry) => entry.data.toString("utf8"));
    expect(loader).toContain("process.setSourceMapsEnabled(true)");
    expect(loader).toContain('require("./api.bundle.js")');
    expect(bundle!.trimEnd().endsWith("//# sourceMappingURL=api.bundle.js.map")).toBe(true);
    // Minified: a few very long lines (template literals keep their line breaks).
    expect(bundle!.length / bundle!.split("\n").length).toBeGreaterThan(5_000);
    const sourceMap = JSON.parse(map!) as { sources: string[]; sourcesContent?: unknown };
    expect(sourceMap.sourcesContent).toBeUndefined();
    expect(sourceMap.sources).toContain("../lambdas/capacity-manager/handlers/api.ts");
  });

  it("never embed the build machine's checkout path", async () => {
    const root = projectRoot();
    for (const bundle of Object.values(bundles)) {
      for (const entry of await readZip(readFileSync(bundle.zipPath))) expect(entry.data.includes(root), `${bundle.name}/${entry.name}`).toBe(false);
    }
  });

  it("load in Node and export each handler", async () => {
    for (const bundle of Object.values(bundles)) {
      const folder = join(scratch, `extract-${bundle.name}`);
      mkdirSync(folder, { recursive: true });
      for (const entry of await readZip(readFileSync(bundle.zipPath))) writeFileSync(join(folder, entry.name), entry.data);
      const run = spawnSync(process.execPath, ["-e", "process.stdout.write(typeof require(process.argv[1]).handler)", join(folder, `${bundle.name}.js`)], {
        encoding: "utf8",
        env: { PATH: process.env.PATH },
      });
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe("function");
    }
  });

  describe("cache", () => {
    it("reuses a build until a file it read changes", () => {
      // GIVEN a handler whose module imports a helper
      const source = join(scratch, "cached-handler");
      mkdirSync(source, { recursive: true });
      writeFileSync(join(source, "greeting.ts"), 'export const greeting = "hello";\n');
      writeFileSync(join(source, "handler.ts"), 'import { greeting } from "./greeting";\nexport const handler = async () => greeting;\n');
      const spec = { name: "cached", entryPoint: join(source, "handler.ts"), cacheDir: join(scratch, "cache") };
      // WHEN built twice  THEN the second comes from the cache with the same archive
      const built = bundleLambda(spec);
      const reused = bundleLambda(spec);
      expect(built.fromCache).toBe(false);
      expect(reused).toEqual({ ...built, fromCache: true });
      // WHEN the imported helper (not the entry) changes  THEN it is rebuilt with another hash
      writeFileSync(join(source, "greeting.ts"), 'export const greeting = "hello, capacity";\n');
      const rebuilt = bundleLambda(spec);
      expect(rebuilt.fromCache).toBe(false);
      expect(rebuilt.sha256).not.toBe(built.sha256);
    });

    it("keeps only the three most recent archives of a function", () => {
      const source = join(scratch, "pruned-handler");
      mkdirSync(source, { recursive: true });
      const zips: string[] = [];
      for (const version of [1, 2, 3, 4]) {
        writeFileSync(join(source, "handler.ts"), `export const handler = async () => ${version};\n`);
        zips.push(bundleLambda({ name: "pruned", entryPoint: join(source, "handler.ts"), cacheDir: join(scratch, "pruned-cache") }).zipPath);
      }
      expect(zips.map((zip) => existsSync(zip))).toEqual([false, true, true, true]);
    });

    it("fails when the function name is not a plain lower-case name", () => {
      expect(() => bundleLambda({ name: "Reconcile/v2", entryPoint: capacityManagerHandlers().reconcile })).toThrow(
        'lambda bundle: name must be lower-case letters, digits and \'-\', got "Reconcile/v2"',
      );
    });

    it("fails when the entry point does not exist, naming it", () => {
      expect(() => bundleLambda({ name: "ghost", entryPoint: join(scratch, "missing.ts") })).toThrow(/lambda bundle "ghost": entryPoint .*missing\.ts does not exist/);
    });
  });
});

describe("deterministic zip", () => {
  it("orders entries by name whatever the input order", () => {
    const a = { name: "a.js", data: Buffer.from("a") };
    const b = { name: "b.js", data: Buffer.from("b") };
    expect(deterministicZip([b, a]).equals(deterministicZip([a, b]))).toBe(true);
  });

  it("fails when an entry is listed twice", () => {
    const entry = { name: "index.js", data: Buffer.from("1") };
    expect(() => deterministicZip([entry, entry])).toThrow('zip entry "index.js" is listed twice');
  });

  it("fails when an entry name is absolute", () => {
    expect(() => deterministicZip([{ name: "/etc/passwd", data: Buffer.from("") }])).toThrow('zip entry name must be a relative /-separated path, got "/etc/passwd"');
  });
});
