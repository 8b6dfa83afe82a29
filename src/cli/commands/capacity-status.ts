import { capacityReservationTerms, NODE_POOL_NAMES } from "../../constructs/karpenter/manifests";
import { parseCommandLine, requireOption } from "../args";
import { ec2Client, listCapacityBlocks, listExtensions } from "../capacity/ec2";
import { capacityStatus, LIVE_STATES, renderStatus, statusJson } from "../capacity/status";
import { CliError, EXIT } from "../errors";
import { palette, progress, useColour, type CliIo } from "../io";
import { loadForCli } from "./environment";

const OPTIONS = {
  env: { type: "string" },
  dir: { type: "string" },
  json: { type: "boolean" },
} as const;

const COMMAND = "capacity status";

export async function runCapacityStatus(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}" (use --env ${positionals[0]})`);
  const snapshot = await capacitySnapshot(io, requireOption(COMMAND, "env", values.env), values.dir);
  const blocks = capacityStatus({ ...snapshot, now: io.now() });
  io.stdout.write(
    values.json
      ? `${JSON.stringify(statusJson(snapshot.environment, snapshot.region, blocks), null, 2)}\n`
      : renderStatus(snapshot.environment, snapshot.region, blocks, palette(useColour(io.stdout, io.env))),
  );
  return EXIT.ok;
}

/** The environment's blocks and what EC2 says about them and their extensions, read in as few calls as pages allow. */
export async function capacitySnapshot(io: CliIo, environment: string, dir: string | undefined) {
  const [loaded] = await loadForCli(io, dir, [environment]);
  if (!loaded) throw new CliError(`no environment "${environment}"`);
  const { region, capacity_blocks: blocks, karpenter, node_pools: nodePools } = loaded.config;
  const terms = karpenter.enabled && nodePools.gpu_capacity_block.enabled ? capacityReservationTerms({ capacityBlocks: blocks, nodePools }) : [];
  const selection = terms.length > 0 ? { nodePool: NODE_POOL_NAMES.gpuCapacityBlock, terms } : undefined;
  const client = ec2Client(region);
  const status = progress(io);
  try {
    const reservations = await listCapacityBlocks(client, status.update);
    const tracked = new Set(blocks.map((block) => block.reservation_id));
    // Only ids EC2 listed (an unknown id fails the whole call), and only blocks that are tracked or still live.
    const ids = reservations
      .filter((reservation) => tracked.has(reservation.reservationId) || LIVE_STATES.has(reservation.state))
      .map((reservation) => reservation.reservationId);
    const extensions = await listExtensions(client, ids, status.update);
    return { environment: loaded.name, region, blocks, karpenter: selection, reservations, extensions };
  } finally {
    status.done();
  }
}
