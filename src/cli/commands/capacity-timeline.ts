import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseCommandLine, positiveInteger } from "../args";
import { capacityStatus } from "../capacity/status";
import { buildTimeline, mermaidGantt, renderTimeline, timelineJson, timelineSvg } from "../capacity/timeline";
import { CliError, EXIT } from "../errors";
import { type CliIo, palette, terminalWidth, useColour } from "../io";
import { capacitySnapshot, capacityTarget } from "./capacity-status";

const OPTIONS = {
  env: { type: "string" },
  weeks: { type: "string" },
  mermaid: { type: "string" },
  svg: { type: "string" },
  dir: { type: "string" },
  json: { type: "boolean" },
  demo: { type: "boolean" },
} as const;

const COMMAND = "capacity timeline";

export async function runCapacityTimeline(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}" (use --env ${positionals[0]})`);
  const weeks = values.weeks === undefined ? 6 : positiveInteger(COMMAND, "weeks", values.weeks);
  if (weeks > 26) throw new CliError(`${COMMAND}: --weeks must be at most 26 (capacity blocks are sold up to 26 weeks ahead), got ${weeks}`);
  if (values.json && (values.mermaid === "-" || values.svg === "-"))
    throw new CliError(`${COMMAND}: --json prints to stdout, so --mermaid/--svg need a file name`);
  const target = capacityTarget(COMMAND, io, values);
  const snapshot = await capacitySnapshot(io, target.environment, target.dir, target.source);
  const now = io.now();
  const timeline = buildTimeline(snapshot.environment, capacityStatus({ ...snapshot, now }), now, weeks);

  // Files only where asked: --mermaid FILE (a .md gets a ```mermaid fence), --svg FILE; `-` prints that instead.
  const written: string[] = [];
  const chart = mermaidGantt(timeline);
  if (values.mermaid !== undefined && values.mermaid !== "-") {
    const markdown = values.mermaid.endsWith(".md");
    write(io, values.mermaid, markdown ? `# Capacity timeline: ${snapshot.environment}\n\n\`\`\`mermaid\n${chart}\`\`\`\n` : chart);
    written.push(`Mermaid gantt written to ${values.mermaid}`);
  }
  if (values.svg !== undefined && values.svg !== "-") {
    write(io, values.svg, timelineSvg(timeline));
    written.push(`SVG written to ${values.svg}`);
  }
  if (values.json) io.stdout.write(`${JSON.stringify(timelineJson(timeline), null, 2)}\n`);
  else if (values.mermaid === "-") io.stdout.write(chart);
  else if (values.svg === "-") io.stdout.write(timelineSvg(timeline));
  else {
    const labelWidth = Math.max(10, ...timeline.rows.map((row) => row.label.length), ...timeline.gaps.map((gap) => gap.instanceType.length + 3));
    const chartWidth = Math.max(weeks * 7, Math.min(weeks * 14, terminalWidth(io) - labelWidth - 2));
    io.stdout.write(renderTimeline(timeline, palette(useColour(io.stdout, io.env)), chartWidth));
  }
  const messages = values.json || values.mermaid === "-" || values.svg === "-" ? io.stderr : io.stdout;
  for (const message of written) messages.write(`${message}\n`);
  return EXIT.ok;
}

function write(io: CliIo, target: string, content: string): void {
  try {
    writeFileSync(path.resolve(io.cwd, target), content);
  } catch (error) {
    throw new CliError(`${COMMAND}: cannot write ${target}: ${(error as Error).message}`);
  }
}
