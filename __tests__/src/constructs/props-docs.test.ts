import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../src/lib/paths";

/** Folders whose construct props are not held to the rule yet: none, every construct is (issue #19). */
const NOT_YET_DOCUMENTED: readonly string[] = [];

/**
 * What a construct's props must look like (CONVENTIONS.md, "Constructs"): every property readonly, documented, and
 * every optional one saying its `@default`. Checked for the props type of every construct constructor
 * `(scope, id, props)` under `root`, and for the project's own object types those props reach (a `ZonalSubnet`, a
 * `GpuFleet`), inline object types included. Kubernetes objects (types with `apiVersion` and `kind`) are left out:
 * their fields are documented by their CRD.
 */
function propsDocFindings(root: string, excluded: readonly string[] = []): string[] {
  const files = typeScriptFiles(root);
  const program = ts.createProgram(files, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const base = projectRoot();
  const projectSources = resolve(root, "..");
  const findings: string[] = [];
  const seen = new Set<ts.Node>();
  const isExcluded = (file: string) => excluded.some((folder) => file.startsWith(resolve(base, folder) + sep) || file.startsWith(resolve(folder) + sep));

  const visitType = (type: ts.Type, construct: string): void => {
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      for (const element of checker.getTypeArguments(type as ts.TypeReference)) visitType(element, construct);
      return;
    }
    if (type.isUnion() || type.isIntersection()) {
      for (const member of type.types) visitType(member, construct);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object)) return;
    const properties = checker.getPropertiesOfType(type);
    if (properties.some((property) => property.name === "apiVersion") && properties.some((property) => property.name === "kind")) return;
    for (const property of properties) {
      for (const declaration of property.declarations ?? []) {
        if (!ts.isPropertySignature(declaration) || seen.has(declaration)) continue;
        const file = declaration.getSourceFile().fileName;
        if (!file.startsWith(projectSources + sep) || isExcluded(file)) continue;
        seen.add(declaration);
        const problems = propertyProblems(declaration);
        if (problems.length > 0) {
          const owner = ts.isInterfaceDeclaration(declaration.parent) ? declaration.parent.name.text : "(inline type)";
          const line = declaration.getSourceFile().getLineAndCharacterOfPosition(declaration.getStart()).line + 1;
          findings.push(`${relative(base, file)}:${line} ${owner}.${property.name} (props of ${construct}): ${problems.join(", ")}`);
        }
        visitType(checker.getTypeOfSymbolAtLocation(property, declaration), construct);
      }
    }
  };

  for (const source of program.getSourceFiles()) {
    if (!files.includes(source.fileName) || isExcluded(source.fileName)) continue;
    source.forEachChild((node) => {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      for (const member of node.members) {
        const props = ts.isConstructorDeclaration(member) ? member.parameters[2]?.type : undefined;
        if (props) visitType(checker.getTypeFromTypeNode(props), node.name.text);
      }
    });
  }
  return findings;
}

function propertyProblems(declaration: ts.PropertySignature): string[] {
  const docs = ts.getJSDocCommentsAndTags(declaration).filter(ts.isJSDoc);
  const documented = docs.some((doc) => (typeof doc.comment === "string" ? doc.comment.trim() : (doc.comment ?? []).length > 0));
  const hasDefault = docs.some((doc) => (doc.tags ?? []).some((tag) => tag.tagName.text === "default"));
  const readonly = (declaration.modifiers ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ReadonlyKeyword);
  return [
    ...(readonly ? [] : ["not readonly"]),
    ...(documented ? [] : ["no doc comment"]),
    ...(declaration.questionToken && !hasDefault ? ["optional without @default"] : []),
  ];
}

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = resolve(folder, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

describe("construct props", () => {
  it("are readonly and documented, and every optional one says its @default", () => {
    // GIVEN every construct under src/constructs (minus the folders not held to it yet)
    // WHEN their props are checked  THEN nothing is found
    expect(propsDocFindings(join(projectRoot(), "src/constructs"), NOT_YET_DOCUMENTED)).toEqual([]);
  }, 120_000);

  describe("the check", () => {
    const withSources = (sources: Record<string, string>): string[] => {
      const scratch = mkdtempSync(join(tmpdir(), "props-docs-"));
      try {
        const root = join(scratch, "constructs");
        for (const [name, text] of Object.entries(sources)) {
          const path = join(root, name);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, text);
        }
        return propsDocFindings(root).map((finding) => finding.replace(/^.*constructs\//, ""));
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    };
    const construct = (props: string, extra = "") => ({
      "thing/index.ts": `${extra}
export interface ThingProps {
${props}
}
export class Thing {
  constructor(_scope: unknown, _id: string, _props: ThingProps) {}
}
`,
    });

    it("passes documented readonly props, optional ones with @default", () => {
      // GIVEN a props interface done right  WHEN checked  THEN nothing is found
      expect(
        withSources(construct("  /** The name. */\n  readonly name: string;\n  /**\n   * How many.\n   * @default 1\n   */\n  readonly count?: number;")),
      ).toEqual([]);
    });

    it("fails when a prop has no doc comment, naming it", () => {
      // GIVEN a prop without a doc comment  WHEN checked  THEN the finding names the interface, prop and construct
      expect(withSources(construct("  readonly name: string;"))).toEqual(["thing/index.ts:3 ThingProps.name (props of Thing): no doc comment"]);
    });

    it("fails when an optional prop has no @default", () => {
      // GIVEN an optional prop documented without @default  WHEN checked  THEN it is found
      expect(withSources(construct("  /** How many. */\n  readonly count?: number;"))).toEqual([
        "thing/index.ts:4 ThingProps.count (props of Thing): optional without @default",
      ]);
    });

    it("fails when a prop is not readonly", () => {
      // GIVEN a mutable prop  WHEN checked  THEN it is found
      expect(withSources(construct("  /** The name. */\n  name: string;"))).toEqual(["thing/index.ts:4 ThingProps.name (props of Thing): not readonly"]);
    });

    it("follows the project's types the props reach, inline ones included, but not Kubernetes objects", () => {
      // GIVEN props holding a named subnet type with an undocumented field, an inline type, and a Kubernetes object
      const sources = construct(
        "  /** Where. */\n  readonly subnet: Subnet;\n  /** Who. */\n  readonly access: { readonly arns: readonly string[] };\n  /** What to apply. */\n  readonly object: Pod;",
        "interface Subnet {\n  readonly id: string;\n}\ninterface Pod {\n  readonly apiVersion: string;\n  readonly kind: string;\n}",
      );
      // WHEN checked  THEN the subnet's and the inline type's fields are found, the Kubernetes object's are not
      expect(withSources(sources)).toEqual([
        "thing/index.ts:2 Subnet.id (props of Thing): no doc comment",
        "thing/index.ts:12 (inline type).arns (props of Thing): no doc comment",
      ]);
    });
  });
});
