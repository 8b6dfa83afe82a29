import path from "node:path";

/**
 * Loads a module of this folder on first use, so `blockfleet --help` or `plan-summary` don't pay a second and a half
 * for cdktf, the stacks and the AWS SDK. Under bin/blockfleet.cjs modules are CommonJS through tsx (require finds
 * the .ts file); under vitest they are ESM, which require can't load, so import() takes over.
 */
export async function loadSibling<T>(relativePath: string): Promise<T> {
  const file = path.join(__dirname, relativePath);
  try {
    return require(file) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND" || !(error as Error).message.includes(file)) throw error;
    return (await import(file)) as T;
  }
}
