/** `npm run docs:env`: writes docs/environment-reference.md from the environment schema (see env-reference.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderEnvironmentReference } from "./env-reference";

const target = path.join(__dirname, "..", "docs", "environment-reference.md");
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, renderEnvironmentReference());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
