import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Annotations, App, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { describe, expect, it } from "vitest";
import { warningsOf } from "../../../src/lib/annotations";

describe("warningsOf", () => {
  it("returns the warning annotations of every construct in the tree, in construct order, and nothing else", () => {
    // GIVEN two stacks, warnings on a stack and on a nested construct, and an info annotation
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "annotations-")), stackTraces: false });
    const first = new TerraformStack(app, "first");
    Annotations.of(new Construct(new Construct(first, "outer"), "inner")).addWarning("deep warning");
    Annotations.of(first).addInfo("just so you know");
    Annotations.of(new TerraformStack(app, "second")).addWarning("stack warning");
    // WHEN the app's warnings are collected  THEN both warnings come back, the info does not
    expect(warningsOf(app)).toEqual(["deep warning", "stack warning"]);
    rmSync(app.outdir, { recursive: true, force: true });
  });

  it("finds nothing in a tree without warnings", () => {
    // GIVEN a stack with no annotations  WHEN its warnings are collected  THEN there are none
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "annotations-")) });
    new Construct(new TerraformStack(app, "quiet"), "child");
    expect(warningsOf(app)).toEqual([]);
    rmSync(app.outdir, { recursive: true, force: true });
  });

  it("leaves the warnings in the manifest, where `cdktf synth` prints them", () => {
    // GIVEN a warning on a construct of a stack
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "annotations-")), stackTraces: false });
    Annotations.of(new Construct(new TerraformStack(app, "noisy"), "child")).addWarning("look at this");
    // WHEN the app is synthesized
    app.synth();
    // THEN the stack's manifest entry carries it, without a stack trace
    const manifest = JSON.parse(readFileSync(join(app.outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { annotations: unknown[] }> };
    expect(manifest.stacks.noisy!.annotations).toEqual([{ constructPath: "noisy/child", level: "@cdktf/warn", message: "look at this" }]);
    rmSync(app.outdir, { recursive: true, force: true });
  });
});
