import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseCommandLine, positiveInteger, requireOption } from "../args";
import { capacityStatus } from "../capacity/status";
import { buildTimeline, mermaidGantt, renderTimeline, timelineSvg } from "../capacity/timeline";
import { CliError, EXIT } from "../errors";
import { palette, useColour, type CliIo } from "../io";
import { capacitySnapshot } from "./capacity-status";

const OPTIONS = {
  env: { type: "string" },
  weeks: { type: "string" },
  mermaid: { type: "string" },
  svg: { type: "string" },
  dir: { type: "string" },
} as const;

const COMMAND = "capacity timeline";

export async function runCapacityTimeline(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}" (use --env ${positionals[0]})`);
  const environment = requireOption(COMMAND, "env", values.env);
  const weeks = values.weeks === undefined ? 6 : positiveInteger(COMMAND, "weeks", values.weeks);
  if (weeks > 26) throw new CliError(`${COMMAND}: --weeks must be at most 26 (capacity blocks are sold up to 26 weeks ahead), got ${weeks}`);
  const snapshot = await capacitySnapshot(io, environment, values.dir);
  const now = io.now();
  const timeline = buildTimeline(snapshot.environment, capacityStatus({ ...snapshot, now }), now, weeks);
  const chart = mermaidGantt(timeline);
  if (values.svg !== undefined) write(io, values.svg, timelineSvg(timeline));
  const target = values.mermaid ?? `capacity-timeline-${snapshot.environment}.md`;
  if (target === "-") {
    io.stdout.write(chart);
    return EXIT.ok;
  }
  const markdown = target.endsWith(".md");
  write(io, target, markdown ? `# Capacity timeline: ${snapshot.environment}\n\n\`\`\`mermaid\n${chart}\`\`\`\n` : chart);
  io.stdout.write(`${renderTimeline(timeline, palette(useColour(io.stdout, io.env)))}\nMermaid gantt written to ${target}\n`);
  if (values.svg !== undefined) io.stdout.write(`SVG written to ${values.svg}\n`);
  return EXIT.ok;
}

function write(io: CliIo, target: string, content: string): void {
  try {
    writeFileSync(path.resolve(io.cwd, target), content);
  } catch (error) {
    throw new CliError(`${COMMAND}: cannot write ${target}: ${(error as Error).message}`);
  }
}
