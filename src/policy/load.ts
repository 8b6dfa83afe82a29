import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isJsonObject, type JsonObject, type StackDocument, type TerraformBlock } from "./model";

/** Every `cdk.tf.json` below `root`, sorted so reports are stable. */
export function findStackFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === "cdk.tf.json") found.push(path);
    }
  };
  walk(root);
  return found.sort();
}

export function loadStackFile(file: string): StackDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(parsed as JsonObject)) throw new Error(`${file}: expected a JSON object at the top level`);
  return stackFromJson(parsed as JsonObject, basename(dirname(file)), file);
}

/**
 * Builds the gate's model of one stack. The stack name comes from cdktf's metadata, falling back to
 * the folder name (cdktf writes `stacks/<name>/cdk.tf.json`).
 */
export function stackFromJson(json: JsonObject, fallbackName: string, file = `${fallbackName}/cdk.tf.json`): StackDocument {
  const meta = json["//"];
  const metadata = isJsonObject(meta) ? meta["metadata"] : undefined;
  const stackName = isJsonObject(metadata) && typeof metadata["stackName"] === "string" ? metadata["stackName"] : fallbackName;
  return {
    name: stackName,
    file,
    json,
    resources: blocksOf(json["resource"], stackName, "resource"),
    data: blocksOf(json["data"], stackName, "data"),
  };
}

function blocksOf(section: JsonObject[string] | undefined, stack: string, kind: TerraformBlock["kind"]): TerraformBlock[] {
  if (!isJsonObject(section)) return [];
  const blocks: TerraformBlock[] = [];
  for (const [type, byName] of Object.entries(section)) {
    if (!isJsonObject(byName)) continue;
    for (const [name, config] of Object.entries(byName)) {
      if (!isJsonObject(config)) continue;
      const local = kind === "data" ? `data.${type}.${name}` : `${type}.${name}`;
      blocks.push({ stack, kind, type, name, address: `${stack}/${local}`, config });
    }
  }
  return blocks;
}
