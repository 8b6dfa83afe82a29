import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Entry, fromBuffer } from "yauzl";
import {
  ARCHIVES_KEPT,
  BUNDLE_BUDGET_BYTES,
  buildCapacityManagerBundles,
  bundleLambda,
  capacityManagerHandlers,
  type LambdaBundle,
  PRUNE_UNUSED_FOR_MS,
  pruneStaleArchives,
} from "../../../../src/lib/bundling/bundle";
import { deterministicZip } from "../../../../src/lib/bundling/zip";
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

    it("rebuilds when a file changes content but not size, and reuses when a file is only touched", () => {
      // GIVEN a cached build
      const source = join(scratch, "stamped-handler");
      mkdirSync(source, { recursive: true });
      writeFileSync(join(source, "handler.ts"), 'export const handler = async () => "aaaa";\n');
      const spec = { name: "stamped", entryPoint: join(source, "handler.ts"), cacheDir: join(scratch, "stamped-cache") };
      const built = bundleLambda(spec);
      // WHEN the file is touched without a change  THEN the size/mtime check falls back to the content hash: a hit
      const later = new Date(Date.now() + 5_000);
      utimesSync(join(source, "handler.ts"), later, later);
      expect(bundleLambda(spec)).toMatchObject({ fromCache: true, sha256: built.sha256 });
      // WHEN its content changes and its size doesn't  THEN it is rebuilt
      writeFileSync(join(source, "handler.ts"), 'export const handler = async () => "bbbb";\n');
      const rebuilt = bundleLambda(spec);
      expect(rebuilt.fromCache).toBe(false);
      expect(rebuilt.sha256).not.toBe(built.sha256);
    });

    /** Builds `versions` distinct handlers named `name` into one cache folder; returns their archives, oldest first. */
    function buildVersions(name: string, cacheDir: string, versions: number): string[] {
      const source = join(scratch, `${name}-handler`);
      mkdirSync(source, { recursive: true });
      return Array.from({ length: versions }, (_, version) => {
        writeFileSync(join(source, "handler.ts"), `export const handler = async () => ${version};\n`);
        return bundleLambda({ name, entryPoint: join(source, "handler.ts"), cacheDir }).zipPath;
      });
    }
    /** Sets a file's mtime to `minutesAgo` before now, as if nobody had built or reused it since. */
    const age = (path: string, minutesAgo: number): void => {
      const when = new Date(Date.now() - minutesAgo * 60_000);
      utimesSync(path, when, when);
    };
    const unusedMinutes = PRUNE_UNUSED_FOR_MS / 60_000;

    it("keeps every archive used recently, however many there are (another synth may be copying it)", () => {
      // GIVEN five builds in a row  WHEN each one prunes  THEN none is deleted: all were used a moment ago
      const zips = buildVersions("recent", join(scratch, "recent-cache"), ARCHIVES_KEPT + 2);
      expect(zips.map((zip) => existsSync(zip))).toEqual(zips.map(() => true));
    });

    it("deletes archives beyond the newest three only once unused for the prune delay, with stale temporary files", () => {
      // GIVEN five archives, the four oldest unused for longer than the delay, and two leftover temporary files
      const cacheDir = join(scratch, "stale-cache");
      const zips = buildVersions("stale", cacheDir, ARCHIVES_KEPT + 2);
      for (const [index, zip] of zips.slice(0, -1).entries()) age(zip, unusedMinutes + 10 - index);
      const crashedWrite = `${zips[4]!}.4242-0-abcdef.tmp`;
      const runningWrite = `${zips[4]!}.4343-0-abcdef.tmp`;
      writeFileSync(crashedWrite, "half");
      writeFileSync(runningWrite, "half");
      age(crashedWrite, unusedMinutes + 1);
      // WHEN the cache is pruned
      pruneStaleArchives(cacheDir, "stale", Date.now());
      // THEN the two oldest go; the newest three stay although two of them are old; only the crashed write goes
      expect(zips.map((zip) => existsSync(zip))).toEqual([false, false, true, true, true]);
      expect([existsSync(crashedWrite), existsSync(runningWrite)]).toEqual([false, true]);
    });

    it("keeps an old archive's folder while a rebuild of the same bytes is writing into it", () => {
      // GIVEN four archives, the oldest unused for long, but another process writing its temporary file there now
      const cacheDir = join(scratch, "rewrite-cache");
      const zips = buildVersions("rewrite", cacheDir, ARCHIVES_KEPT + 1);
      age(zips[0]!, unusedMinutes + 10);
      writeFileSync(`${zips[0]!}.4444-0-abcdef.tmp`, "being written");
      // WHEN the cache is pruned  THEN that folder stays
      pruneStaleArchives(cacheDir, "rewrite", Date.now());
      expect(existsSync(zips[0]!)).toBe(true);
    });

    it("marks an archive reused from the cache as just used, so it is not pruned while the synth copies it", () => {
      // GIVEN an archive unused for longer than the prune delay
      const cacheDir = join(scratch, "touched-cache");
      const [zip] = buildVersions("touched", cacheDir, 1);
      age(zip!, unusedMinutes + 5);
      // WHEN the unchanged handler is bundled again (a cache hit)
      const reused = bundleLambda({ name: "touched", entryPoint: join(scratch, "touched-handler", "handler.ts"), cacheDir });
      // THEN the same archive is returned and its last use is now
      expect(reused).toMatchObject({ fromCache: true, zipPath: zip });
      expect(Date.now() - statSync(zip!).mtimeMs).toBeLessThan(60_000);
    });

    it("lets concurrent processes build into one cache without losing each other's archives", async () => {
      // GIVEN four processes each building three versions of the same function into one cache folder at once
      const cacheDir = join(scratch, "shared-cache");
      const bundleModule = join(projectRoot(), "src/lib/bundling/bundle.ts");
      const script = (worker: number) => `
        const { mkdirSync, writeFileSync } = require("node:fs");
        const { join } = require("node:path");
        const { bundleLambda } = require(${JSON.stringify(bundleModule)});
        const source = join(${JSON.stringify(scratch)}, "shared-${worker}");
        mkdirSync(source, { recursive: true });
        const built = [];
        for (const version of [1, 2, 3]) {
          writeFileSync(join(source, "handler.ts"), "export const handler = async () => " + JSON.stringify("${worker}-" + version) + ";\\n");
          const bundle = bundleLambda({ name: "shared", entryPoint: join(source, "handler.ts"), cacheDir: ${JSON.stringify(cacheDir)} });
          built.push({ zipPath: bundle.zipPath, sha256: bundle.sha256 });
        }
        process.stdout.write(JSON.stringify(built));`;
      const runs = await Promise.all(
        [1, 2, 3, 4].map((worker) =>
          promisify(execFile)(process.execPath, ["--require", "tsx/cjs", "-e", script(worker)], { cwd: projectRoot(), env: { PATH: process.env.PATH } }),
        ),
      );
      // WHEN they are done  THEN every archive any of them returned is still there, whole, with its reported hash
      const built = runs.flatMap((run) => JSON.parse(run.stdout) as Array<{ zipPath: string; sha256: string }>);
      expect(built).toHaveLength(12);
      for (const { zipPath, sha256 } of built) {
        expect(existsSync(zipPath), zipPath).toBe(true);
        expect(createHash("sha256").update(readFileSync(zipPath)).digest("hex")).toBe(sha256);
      }
      expect(readdirSync(cacheDir).filter((file) => file.endsWith(".tmp"))).toEqual([]);
    }, 60_000);

    it("fails when the function name is not a plain lower-case name", () => {
      expect(() => bundleLambda({ name: "Reconcile/v2", entryPoint: capacityManagerHandlers().reconcile })).toThrow(
        "lambda bundle: name must be lower-case letters, digits and '-', got \"Reconcile/v2\"",
      );
    });

    it("fails when the entry point does not exist, naming it", () => {
      expect(() => bundleLambda({ name: "ghost", entryPoint: join(scratch, "missing.ts") })).toThrow(
        /lambda bundle "ghost": entryPoint .*missing\.ts does not exist/,
      );
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
    expect(() => deterministicZip([{ name: "/etc/passwd", data: Buffer.from("") }])).toThrow(
      'zip entry name must be a relative /-separated path, got "/etc/passwd"',
    );
  });
});
