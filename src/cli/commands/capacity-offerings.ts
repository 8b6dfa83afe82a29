import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../lib/instance-types";
import { capacityDurationHours, listOption, parseCommandLine, positiveInteger, requireOption, utcDate } from "../args";
import { ec2Client, searchOfferings } from "../capacity/ec2";
import { attachSnippet, offeringsJson, rankOfferings, renderOfferingsTable } from "../capacity/offerings";
import { CliError, EXIT } from "../errors";
import { palette, progress, useColour, type CliIo } from "../io";

const OPTIONS = {
  "instance-type": { type: "string", multiple: true },
  count: { type: "string" },
  duration: { type: "string" },
  region: { type: "string" },
  "start-after": { type: "string" },
  "end-before": { type: "string" },
  "availability-zone": { type: "string", multiple: true },
  limit: { type: "string" },
  json: { type: "boolean" },
} as const;

const COMMAND = "capacity offerings";

export async function runCapacityOfferings(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}"`);
  const instanceTypes = listOption(values["instance-type"]);
  if (instanceTypes.length === 0) requireOption(COMMAND, "instance-type", undefined);
  const unknownType = instanceTypes.find((type) => !(type in CAPACITY_BLOCK_INSTANCE_TYPES));
  if (unknownType) {
    throw new CliError(`${COMMAND}: --instance-type "${unknownType}" is not sold as a capacity block; known types: ${Object.keys(CAPACITY_BLOCK_INSTANCE_TYPES).join(", ")}`);
  }
  const instanceCount = positiveInteger(COMMAND, "count", requireOption(COMMAND, "count", values.count));
  const durationHours = capacityDurationHours(COMMAND, requireOption(COMMAND, "duration", values.duration));
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError(`${COMMAND}: --region is required (or set AWS_REGION)`);
  const startAfter = values["start-after"] === undefined ? undefined : utcDate(COMMAND, "start-after", values["start-after"]);
  const endBefore = values["end-before"] === undefined ? undefined : utcDate(COMMAND, "end-before", values["end-before"]);
  if (startAfter && endBefore && endBefore.getTime() - startAfter.getTime() < durationHours * 3_600_000) {
    throw new CliError(`${COMMAND}: --start-after ${values["start-after"]} and --end-before ${values["end-before"]} leave less than the ${values.duration} duration`);
  }
  const limit = values.limit === undefined ? 20 : positiveInteger(COMMAND, "limit", values.limit);
  const zones = listOption(values["availability-zone"]);

  const status = progress(io);
  let found;
  try {
    found = await searchOfferings(ec2Client(region), { instanceTypes, instanceCount, durationHours, startAfter, endBefore }, status.update);
  } finally {
    status.done();
  }
  const ranked = rankOfferings(zones.length > 0 ? found.filter((offering) => zones.includes(offering.availabilityZone)) : found);

  if (values.json) {
    io.stdout.write(`${JSON.stringify(offeringsJson(ranked, region), null, 2)}\n`);
    return EXIT.ok;
  }
  const best = ranked[0];
  if (!best) {
    io.stdout.write(
      `No capacity block offerings for ${instanceCount} × ${instanceTypes.join(" or ")} for ${values.duration} in ${region}${zones.length > 0 ? ` (${zones.join(", ")})` : ""}.\n` +
        "Try another duration, fewer instances, a later --end-before, or another region.\n",
    );
    return EXIT.ok;
  }
  const colours = palette(useColour(io.stdout, io.env));
  const shown = ranked.slice(0, limit);
  io.stdout.write(`${colours.bold(`${ranked.length} offering${ranked.length === 1 ? "" : "s"} in ${region}`)}, cheapest GPU-hour first:\n\n`);
  io.stdout.write(`${renderOfferingsTable(shown, colours)}\n`);
  if (ranked.length > shown.length) io.stdout.write(colours.dim(`… ${ranked.length - shown.length} more (raise --limit or use --json)\n`));
  io.stdout.write(`\nTo attach offering #1 after buying it:\n\n${attachSnippet(best, region)}\n`);
  return EXIT.ok;
}
