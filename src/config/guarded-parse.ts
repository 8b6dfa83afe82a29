/**
 * Parsing environment files without trusting them: a size and nesting limit checked by a cheap scan before any parser
 * sees the text, the HCL parser (Go compiled to WebAssembly) in a worker thread so a file that kills or wedges it
 * fails that file alone, and parser diagnostics reduced to the first one, as `line:col` and a sentence.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { projectRoot } from "../lib/paths";

/** Largest environment file read; the shipped ones are a few KB. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Deepest nesting of `{`, `[` and `(` accepted; the schema's deepest value sits 5 levels down. */
export const MAX_NESTING_DEPTH = 32;
/** How long the HCL parser may take for one file, its start included, before it is stopped. */
export const HCL_PARSE_TIMEOUT_MS = 30_000;

/** A problem with the text itself, located when the parser or the scan could tell where. */
export class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = "SyntaxProblem";
  }
}

/**
 * Refuses text over MAX_FILE_BYTES or nested deeper than MAX_NESTING_DEPTH, naming the line and column where the
 * limit is crossed. Brackets inside strings and comments don't count; `${ … }` inside a string does (conservative).
 */
export function checkShape(text: string, syntax: "hcl" | "json"): void {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILE_BYTES) throw new SyntaxProblem(`file is ${bytes} bytes; environment files are limited to ${MAX_FILE_BYTES} bytes`);
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === "\n") {
      line++;
      lineStart = index + 1;
      if (inString && syntax === "hcl") inString = false; // HCL quoted strings end at the line (the parser reports it)
      continue;
    }
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
      else if (char === "$" || char === "%") {
        if (text[index + 1] === "{") {
          depth++;
          index++;
          if (depth > MAX_NESTING_DEPTH) throw tooDeep(line, index - lineStart);
        }
      }
      continue;
    }
    if (char === '"') inString = true;
    else if (syntax === "hcl" && (char === "#" || (char === "/" && text[index + 1] === "/"))) {
      while (index + 1 < text.length && text[index + 1] !== "\n") index++;
    } else if (syntax === "hcl" && char === "/" && text[index + 1] === "*") {
      const end = text.indexOf("*/", index + 2);
      const stop = end === -1 ? text.length : end + 1;
      for (let skipped = index; skipped < stop; skipped++) {
        if (text[skipped] === "\n") {
          line++;
          lineStart = skipped + 1;
        }
      }
      index = stop;
    } else if (char === "{" || char === "[" || char === "(") {
      depth++;
      if (depth > MAX_NESTING_DEPTH) throw tooDeep(line, index - lineStart + 1);
    } else if (char === "}" || char === "]" || char === ")") {
      depth = Math.max(0, depth - 1);
    }
  }
}

function tooDeep(line: number, column: number): SyntaxProblem {
  return new SyntaxProblem(`nested more than ${MAX_NESTING_DEPTH} levels deep; environment files are limited to ${MAX_NESTING_DEPTH}`, line, column);
}

/** JSON text → value; a syntax error becomes a SyntaxProblem at its line and column. */
export function parseJsonText(text: string): unknown {
  checkShape(text, "json");
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const summary = message
      .replace(/\s*in JSON at position \d+.*$/s, "")
      .replace(/, ".*" is not valid JSON$/s, "")
      .replace(/\s*\(line \d+ column \d+\)$/, "");
    if (!position) throw new SyntaxProblem(summary);
    const offset = Number(position[1]);
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    throw new SyntaxProblem(summary, line, offset - before.lastIndexOf("\n"));
  }
}

/**
 * The first diagnostic of the Go parser's message, which lists all of them on one line with the file name given to
 * the parser: `parse config: [x.tfvars:3,7-8: Missing item separator; Expected a comma …]`.
 */
export function firstHclDiagnostic(message: string, parsedName: string): SyntaxProblem {
  const escaped = parsedName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const start = new RegExp(`${escaped}:(\\d+),(\\d+)(?:-\\d+(?:,\\d+)?)?: `, "g");
  const first = start.exec(message);
  if (!first) return new SyntaxProblem(message.replace(/^parse config: \[|\]$/g, "").split("\n")[0]!);
  const next = start.exec(message);
  const body = message
    .slice(first.index + first[0].length, next ? next.index : undefined)
    .replace(/\]\s*$/, "")
    .trim();
  const [summary, ...detail] = body.split("; ");
  const sentence = detail.length > 0 ? `${summary}: ${detail.join("; ")}` : summary!;
  return new SyntaxProblem(sentence.replaceAll(`${parsedName}:`, "line "), Number(first[1]), Number(first[2]));
}

// The worker loads the parser by absolute path so it works from source, from vitest and from the run.cjs bundle. The
// Go runtime writes its panics and traces to fd 2 through the worker's own `fs` module; they are captured and sent to
// the main thread, which reports their first line instead of letting a goroutine dump reach the terminal.
const WORKER_SOURCE = `
const fs = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
const report = (buffer, offset, length) => {
  const bytes = typeof buffer === "string" ? Buffer.from(buffer) : Buffer.from(buffer.buffer, buffer.byteOffset + (offset || 0), length ?? buffer.byteLength);
  parentPort.postMessage({ output: bytes.toString("utf8").slice(0, 4096) });
  return bytes.length;
};
const write = fs.write;
const writeSync = fs.writeSync;
fs.writeSync = function (fd, buffer, offset, length) {
  return fd === 1 || fd === 2 ? report(buffer, offset, length) : writeSync.apply(fs, arguments);
};
fs.write = function (fd, buffer, offset, length) {
  if (fd !== 1 && fd !== 2) return write.apply(fs, arguments);
  const callback = [...arguments].reverse().find((argument) => typeof argument === "function");
  const written = report(buffer, typeof offset === "number" ? offset : 0, typeof length === "number" ? length : undefined);
  process.nextTick(callback, null, written);
};
const { parse } = require(workerData.parserPath);
parentPort.on("message", ({ id, name, text }) => {
  Promise.resolve()
    .then(() => parse(name, text))
    .then(
      (value) => parentPort.postMessage({ id, ok: true, json: JSON.stringify(value) }),
      (error) => parentPort.postMessage({ id, ok: false, message: String((error && error.message) || error) }),
    );
});
`;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One parser worker shared by the files of a run; replaced after any failure, so one bad file can't poison the next. */
class HclWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private stderr = "";
  dead = false;

  constructor() {
    const parserPath = createRequire(join(projectRoot(), "package.json")).resolve("@cdktf/hcl2json");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { parserPath } });
    this.worker.on("message", (reply: { id: number; ok: boolean; json?: string; message?: string } | { output: string }) => {
      if ("output" in reply) {
        if (this.stderr.length < 4096) this.stderr += reply.output;
        return;
      }
      const request = this.pending.get(reply.id);
      if (!request) return;
      this.settle(reply.id);
      if (reply.ok) request.resolve(JSON.parse(reply.json!));
      else if (reply.message?.startsWith("parse config")) request.reject(new Error(reply.message));
      else {
        // Not a diagnostic: the runtime itself failed (a stack overflow inside the Go bridge), so it is not reused.
        request.reject(new SyntaxProblem(`the HCL parser failed: ${reply.message?.split("\n")[0]}${this.firstStderrLine()}`));
        this.fail("the HCL parser failed on an earlier file");
      }
    });
    this.worker.on("error", (error) => this.fail(`the HCL parser crashed: ${error.message.split("\n")[0]}`));
    this.worker.on("exit", () => this.fail(`the HCL parser stopped${this.firstStderrLine()}`));
    this.worker.unref();
  }

  parse(name: string, text: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`the HCL parser did not finish within ${HCL_PARSE_TIMEOUT_MS / 1000} s${this.firstStderrLine()}`);
      }, HCL_PARSE_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.ref();
      this.worker.postMessage({ id, name, text });
    });
  }

  private settle(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(message: string): void {
    if (this.dead && this.pending.size === 0) return;
    this.dead = true;
    for (const [id, request] of [...this.pending]) {
      this.settle(id);
      request.reject(new SyntaxProblem(message));
    }
    void this.worker.terminate();
  }

  private firstStderrLine(): string {
    const line = this.stderr.split("\n").find((text) => text.trim().length > 0);
    return line ? ` (${line.trim().slice(0, 120)})` : "";
  }
}

let shared: HclWorker | undefined;

/** HCL text → JSON value, parsed in the worker. Throws SyntaxProblem with the first diagnostic's line and column. */
export async function parseHclText(fileName: string, text: string): Promise<unknown> {
  checkShape(text, "hcl");
  return parseHclIsolated(fileName, text);
}

/** The worker step alone, without the shape check (exported for the isolation tests, which feed it what the check refuses). */
export async function parseHclIsolated(fileName: string, text: string): Promise<unknown> {
  if (!shared || shared.dead) shared = new HclWorker();
  const worker = shared;
  try {
    return await worker.parse(fileName, text);
  } catch (error) {
    if (error instanceof SyntaxProblem) throw error;
    throw firstHclDiagnostic((error as Error).message, fileName);
  }
}
