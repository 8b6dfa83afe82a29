import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../../src/cli/main";
import { DETAIL_MARKER, GITHUB_COMMENT_LIMIT } from "../../../../src/cli/plan/render";
import { captureIo } from "../test-io";

/**
 * Real plan outputs (see __tests__/fixtures/plans/SOURCES.md) and shapes derived from them. For each: the exit code,
 * the counts, the DANGER entries, that no sensitive value appears in Markdown or JSON, and that the report fits the
 * comment budget with every verdict kept.
 */
const corpus = path.join(__dirname, "..", "..", "..", "fixtures", "plans");
const real = (name: string) => readFileSync(path.join(corpus, `${name}.json`));
const realJson = (name: string) => JSON.parse(real(name).toString("utf8")) as PlanDocument;
const BUDGET = 30_000;

interface PlanDocument {
  resource_changes?: { address: string; type: string; change: Record<string, unknown>; [key: string]: unknown }[];
  [key: string]: unknown;
}

type Counts = Partial<Record<"create" | "update" | "replace" | "delete" | "forget" | "import" | "move" | "deferred" | "drift" | "no-op", number>>;

interface Run {
  readonly code: number;
  readonly markdown: string;
  readonly json: {
    exitCode: number;
    stacks: { counts: Counts; dangers: { kind: string; change: string; title: string; lost: string; recovery: string }[]; notes: string[] }[];
  };
  readonly err: string;
}

async function summarize(name: string, bytes: Uint8Array | string, extra: string[] = []): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), "blockfleet-corpus-"));
  writeFileSync(path.join(dir, `${name}.json`), bytes);
  const markdownIo = captureIo({ cwd: dir });
  const code = await runCli(["plan-summary", "--budget", String(BUDGET), ...extra, `${name}.json`], markdownIo);
  const jsonIo = captureIo({ cwd: dir });
  const jsonCode = await runCli(["plan-summary", "--format", "json", ...extra, `${name}.json`], jsonIo);
  expect(jsonCode).toBe(code);
  return { code, markdown: markdownIo.out(), json: code === 1 ? { exitCode: 1, stacks: [] } : JSON.parse(jsonIo.out()), err: markdownIo.err() };
}

const ALL_ZERO: Required<Counts> = { create: 0, update: 0, replace: 0, delete: 0, forget: 0, import: 0, move: 0, deferred: 0, drift: 0, "no-op": 0 };

/**
 * Every leaf value a plan marks sensitive (resource values and outputs), as the text plan-summary would print it;
 * a value that the same plan also holds unmarked elsewhere (terraform-json's sensitive output "bar" is also a plain
 * trigger value) can't tell a leak from a legitimate print, so it is left out.
 */
function sensitiveValues(plan: PlanDocument): string[] {
  const found: unknown[] = [];
  const plain = new Set<string>();
  const walk = (value: unknown, mask: unknown) => {
    if (mask === true) {
      found.push(value);
      return;
    }
    if (typeof value !== "object" || value === null) {
      plain.add(JSON.stringify(value));
      return;
    }
    for (const [key, child] of Object.entries(value))
      walk(child, typeof mask === "object" && mask !== null ? (mask as Record<string, unknown>)[key] : undefined);
  };
  const changes = [...(plan.resource_changes ?? []), ...((plan.resource_drift as PlanDocument["resource_changes"]) ?? [])];
  for (const { change } of changes) {
    walk(change.before, change.before_sensitive);
    walk(change.after, change.after_sensitive);
  }
  const outputs = ((plan.planned_values as { outputs?: Record<string, { sensitive?: boolean; value?: unknown }> })?.outputs ?? {}) as Record<
    string,
    { sensitive?: boolean; value?: unknown }
  >;
  for (const output of Object.values(outputs)) if (output.sensitive) found.push(output.value);
  return found
    .filter((value) => value !== null && value !== undefined)
    .map((value) => JSON.stringify(value))
    .filter((text) => !plain.has(text));
}

function expectVerdictsKept(markdown: string, budget = BUDGET): void {
  expect(markdown.length).toBeLessThanOrEqual(budget);
  expect(markdown.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
  expect(markdown).toContain(DETAIL_MARKER);
  const opened = markdown.match(/<details>/g)?.length ?? 0;
  const closed = markdown.match(/<\/details>/g)?.length ?? 0;
  expect(opened).toBe(closed);
}

const REAL_CASES: readonly [name: string, code: number, counts: Counts, shows: string[]][] = [
  [
    "terraform-show-json-basic-create",
    0,
    { create: 3 },
    ["| ➕ create | `test_instance.test[0]` | test_instance |", '+ ami = "bar"', "+ id = (known after apply)"],
  ],
  [
    "terraform-show-json-basic-delete",
    0,
    { update: 1, delete: 1 },
    ["| 🗑️ delete | `test_instance.test-delete` | test_instance | it is no longer in the configuration |"],
  ],
  ["terraform-show-json-basic-update", 0, { "no-op": 1 }, ["No changes."]],
  [
    "terraform-show-json-requires-replace",
    0,
    { replace: 1 },
    [
      "| ♻️ replace -/+ (destroy first) | `test_instance.test` | test_instance | an attribute that can't be updated in place changed: ami |",
      "# forces replacement",
    ],
  ],
  ["terraform-show-json-sensitive-values", 0, { create: 1 }, ["+ ami = (sensitive value)"]],
  [
    "terraform-show-json-drift",
    0,
    { update: 2, drift: 1 },
    ["### 🌀 Changed outside Terraform (drift)", "| 🔧 changed | `test_instance.should_refresh` | test_instance |"],
  ],
  ["terraform-show-json-moved", 0, { update: 1, move: 1 }, ["| 🔧 update | `test_instance.baz` | test_instance | moved from `test_instance.foo` |"]],
  ["terraform-show-json-moved-drift", 0, { update: 2, move: 1, drift: 1 }, ["moved from `test_instance.should_refresh`"]],
  [
    "terraform-show-json-multi-resource-update",
    0,
    { create: 1, move: 1, "no-op": 1 },
    ["| 🚚 move | `test_instance.test[0]` | test_instance | moved from `test_instance.test` |"],
  ],
  ["terraform-show-json-plan-error", 0, {}, ["## ⚠️ Incomplete plans", "Terraform reported errors while planning"]],
  ["terraform-show-json-modules", 0, { create: 4 }, ["`module.module_test_foo.test_instance.test[0]`"]],
  [
    "terraform-cloud-import-config-gen",
    0,
    { import: 1, "no-op": 1 },
    ["| 📥 import | `terraform_data.foo` | terraform_data | import of `bar` |", "1 to import"],
  ],
  ["terraform-equivalence-drift_simple", 0, { update: 1, drift: 1 }, ["🌀 drift"]],
  ["terraform-equivalence-replace_within_list", 0, { replace: 1 }, ["♻️ replace -/+ (destroy first)", "list[1]"]],
  ["terraform-equivalence-fully_populated_complex_destroy", 0, { delete: 1 }, ["| 🗑️ delete | `tfcoremock_complex_resource.complex` |"]],
  ["terraform-equivalence-local_provider_delete", 0, { delete: 1 }, ["`local_file.local_file`"]],
  ["terraform-equivalence-simple_object_replace", 0, { replace: 1 }, ["an attribute that can't be updated in place changed: id", "# forces replacement"]],
  ["terraform-json-110_sensitive_values", 0, { create: 7 }, ['+ triggers.foo = "bar"', "+ id = (known after apply)"]],
  ["terraform-json-action_reason", 0, { replace: 1 }, ["the resource is tainted"]],
  ["terraform-json-basic-0.15", 0, { create: 1 }, ["+ ami = (sensitive value)"]],
  ["terraform-json-identity", 0, { update: 1, import: 1 }, ["| 📥 import, 🔧 update | `corner_user_identity.user` |", "+ age = 999"]],
  ["terraform-json-moved_block", 0, { move: 1, "no-op": 1 }, ["moved from `random_id.test`"]],
  ["terraform-json-no_changes", 0, { "no-op": 6 }, ["No changes."]],
  [
    "opentofu-equivalence-moved_with_update",
    0,
    { update: 1, move: 1 },
    ['! string: "Hello, world!" → "Hello, change!"', "moved from `tfcoremock_simple_resource.base`"],
  ],
  ["opentofu-equivalence-replace_within_set", 0, { replace: 1 }, ["an attribute that can't be updated in place changed: set", "# forces replacement"]],
  ["opentofu-equivalence-data_read", 0, { create: 3 }, ["**3 to create, 0 to update, 0 to replace, 0 to delete**"]],
  ["opentofu-equivalence-nested_set_update", 0, { update: 1 }, ["| 🔧 update |"]],
  [
    "opentofu-equivalence-drift_refresh_only",
    0,
    { drift: 1 },
    ['! string: "Hello, world!" → "Hello, drift!"', "| 🔧 changed | `tfcoremock_simple_resource.drift` |"],
  ],
  ["tf-summarize-example", 0, { create: 7, drift: 3, "no-op": 1 }, ['`module.github["demo-repository"].github_branch.development`']],
];

describe("plan-summary over real plan outputs", () => {
  it("GIVEN the corpus folder THEN every file is tested below and named in SOURCES.md", () => {
    const files = readdirSync(corpus).filter((file) => file.endsWith(".json"));
    const sources = readFileSync(path.join(corpus, "SOURCES.md"), "utf8");

    expect(files.map((file) => file.replace(/\.json$/, "")).sort()).toEqual([...REAL_CASES.map(([name]) => name), "terraform-json-invalid"].sort());
    for (const file of files)
      expect(sources, file).toMatch(new RegExp(`\\| \`${file.replace(/\./g, "\\.")}\` \\| [\\w-]+/[\\w.-]+ \\| \`[^\`]+\` \\| \`[0-9a-f]{40}\` \\|`));
  });

  it.each(REAL_CASES)(
    "GIVEN %s THEN it exits %i with the counts, shows what Terraform shows, leaks nothing and fits the budget",
    async (name, code, counts, shows) => {
      const run = await summarize(name, real(name));

      expect(run.code).toBe(code);
      expect(run.json.stacks[0]?.counts).toEqual({ ...ALL_ZERO, ...counts });
      expect(run.json.stacks[0]?.dangers).toEqual([]);
      for (const text of shows) expect(run.markdown).toContain(text);
      for (const secret of sensitiveValues(realJson(name))) {
        expect(run.markdown).not.toContain(secret);
        expect(JSON.stringify(run.json)).not.toContain(secret);
      }
      expectVerdictsKept(run.markdown);
      expect(run.err).toBe("");
    },
  );

  it("GIVEN the file that isn't a plan (terraform-json-invalid) THEN it exits 1 with one line naming the file and nothing on stdout", async () => {
    const run = await summarize("terraform-json-invalid", real("terraform-json-invalid"));

    expect(run.code).toBe(1);
    expect(run.markdown).toBe("");
    expect(run.err).toMatch(/^blockfleet: plan-summary: terraform-json-invalid\.json is not JSON \(.+\)[^\n]*\n$/);
  });

  it("GIVEN the invalid file beside real plans THEN those are summarized and it gets a section of its own", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "blockfleet-corpus-"));
    for (const name of ["terraform-json-invalid", "terraform-show-json-drift", "terraform-show-json-moved"])
      writeFileSync(path.join(dir, `${name}.json`), real(name));
    const io = captureIo({ cwd: dir });

    const code = await runCli(["plan-summary", "terraform-json-invalid.json", "terraform-show-json-drift.json", "terraform-show-json-moved.json"], io);

    expect(code).toBe(0);
    expect(io.out()).toContain("## ⚠️ Plans that could not be read\n\n- `terraform-json-invalid.json`:");
    expect(io.out()).toContain("## `terraform-show-json-drift`");
    expect(io.out()).toContain("## `terraform-show-json-moved`");
  });
});

describe("plan-summary over re-encoded plans (Windows PowerShell and editors)", () => {
  const utf8 = real("terraform-show-json-sensitive-values");
  const utf16le = Buffer.from(utf8.toString("utf8"), "utf16le");
  const utf16be = Buffer.from(utf16le).swap16();
  const encodings: readonly [string, Buffer][] = [
    ["UTF-8 with BOM", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8])],
    ["UTF-16 LE with BOM (Windows PowerShell 5 `>`)", Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le])],
    ["UTF-16 BE with BOM", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be])],
    ["UTF-16 LE without BOM", utf16le],
  ];

  it.each(encodings)("GIVEN the sensitive-values plan as %s THEN it reads as the UTF-8 original and leaks nothing", async (_, bytes) => {
    const original = await summarize("plan", utf8);
    const run = await summarize("plan", bytes);

    expect(run.code).toBe(0);
    expect(run.markdown).toBe(original.markdown);
    expect(run.json.stacks[0]?.counts).toEqual({ ...ALL_ZERO, create: 1 });
    expect(run.markdown).not.toContain('"boop"');
  });
});

/** The real requires-replace plan with its resource turned into an AWS resource with these `before` values. */
function awsReplace(type: string, before: Record<string, unknown>, actions = ["delete", "create"]): PlanDocument {
  const plan = realJson("terraform-show-json-requires-replace");
  const [change] = plan.resource_changes ?? [];
  if (!change) throw new Error("fixture has no resource change");
  Object.assign(change, { address: `${type}.this`, type, name: "this" });
  Object.assign(change.change, {
    actions,
    before: { ...(change.change.before as object), ...before },
    after: { ...(change.change.after as object), ...before },
  });
  return plan;
}

/** The real basic-delete plan with its deleted resource turned into an AWS resource with these `before` values. */
function awsDelete(type: string, before: Record<string, unknown>): PlanDocument {
  const plan = realJson("terraform-show-json-basic-delete");
  const change = plan.resource_changes?.find((candidate) => (candidate.change.actions as string[]).includes("delete"));
  if (!change) throw new Error("fixture has no delete");
  Object.assign(change, { address: `${type}.this`, type, name: "this" });
  Object.assign(change.change, { before: { ...(change.change.before as object), ...before } });
  return plan;
}

describe("plan-summary DANGER over real plan shapes with AWS resources", () => {
  const cases: readonly [label: string, plan: PlanDocument, kind: string, title: string, lost: string, recovery: string][] = [
    [
      "the state bucket deleted",
      awsDelete("aws_s3_bucket", { bucket: "blockfleet-prod-tfstate-123456789012" }),
      "state-bucket",
      "Delete Terraform state bucket",
      "every stack's state",
      "imported again",
    ],
    [
      "the model bucket deleted",
      awsDelete("aws_s3_bucket", { bucket: "blockfleet-prod-models-123456789012", force_destroy: true }),
      "model-bucket",
      "Delete model bucket",
      "model weights",
      "retrain",
    ],
    [
      "a data bucket replaced",
      awsReplace("aws_s3_bucket", { bucket: "blockfleet-prod-datasets" }),
      "data-bucket",
      "Replace S3 bucket",
      "every object",
      "replica or backup",
    ],
    [
      "an RDS instance deleted",
      awsDelete("aws_db_instance", { skip_final_snapshot: false, final_snapshot_identifier: "platform-final", deletion_protection: true }),
      "rds-instance",
      "Delete RDS instance",
      "the database",
      "`platform-final`",
    ],
    [
      "an RDS cluster deleted without a final snapshot",
      awsDelete("aws_rds_cluster", { skip_final_snapshot: true }),
      "rds-cluster",
      "Delete RDS cluster",
      "the database",
      "`skip_final_snapshot` is on",
    ],
    [
      "an ElastiCache replication group replaced",
      awsReplace("aws_elasticache_replication_group", { final_snapshot_identifier: "cache-final" }),
      "elasticache",
      "Replace ElastiCache replication group",
      "every key",
      "`cache-final`",
    ],
    ["a DynamoDB table deleted", awsDelete("aws_dynamodb_table", {}), "dynamodb-table", "Delete DynamoDB table", "every item", "35 days"],
    ["a KMS key deleted", awsDelete("aws_kms_key", { deletion_window_in_days: 7 }), "kms-key", "Delete KMS key", "unreadable", "7-day window"],
    [
      "a secret replaced",
      awsReplace("aws_secretsmanager_secret", { recovery_window_in_days: 30 }),
      "secret",
      "Replace Secrets Manager secret",
      "secret's value",
      "30-day recovery window",
    ],
    [
      "a secret deleted at once",
      awsDelete("aws_secretsmanager_secret", { recovery_window_in_days: 0 }),
      "secret",
      "Delete Secrets Manager secret",
      "secret's value",
      "none",
    ],
    [
      "the EKS cluster replaced destroy-first",
      awsReplace("aws_eks_cluster", { name: "blockfleet-prod" }),
      "eks-cluster",
      "Replace EKS cluster",
      "etcd",
      "15 minutes",
    ],
    [
      "a capacity-block node group replaced",
      awsReplace("aws_eks_node_group", { capacity_type: "CAPACITY_BLOCK" }),
      "eks-node-group",
      "Replace EKS node group on a capacity block",
      "GPU nodes",
      "block's instances are free",
    ],
    [
      "the EKS audit log group deleted",
      awsDelete("aws_cloudwatch_log_group", { name: "/aws/eks/blockfleet-prod/cluster" }),
      "audit-log-group",
      "Delete audit log group",
      "`/aws/eks/blockfleet-prod/cluster`",
      "none",
    ],
    [
      "a capacity block bought",
      awsReplace("aws_ec2_capacity_block_reservation", { instance_type: "p5.48xlarge", instance_count: 2 }, ["create"]),
      "capacity-block-purchase",
      "Capacity block purchase",
      "upfront fee",
      "can't be cancelled",
    ],
  ];

  it.each(cases)(
    "GIVEN %s THEN it exits 2 and the DANGER entry says what is lost and how long recovery takes",
    async (_, plan, kind, title, lost, recovery) => {
      const run = await summarize("prod-data", JSON.stringify(plan));
      const [danger, ...others] = run.json.stacks[0]?.dangers ?? [];

      const deletes = plan.resource_changes?.some((change) => (change.change.actions as string[]).join() === "delete");
      const expected = deletes ? { update: 1, delete: 1 } : kind === "capacity-block-purchase" ? { create: 1 } : { replace: 1 };

      expect(run.code).toBe(2);
      expect(run.json.stacks[0]?.counts).toEqual({ ...ALL_ZERO, ...expected });
      expect(others).toEqual([]);
      expect(danger?.kind).toBe(kind);
      expect(danger?.title).toContain(title);
      expect(danger?.lost).toContain(lost);
      expect(danger?.recovery).toContain(recovery);
      expect(run.markdown).toContain(`### 🛑 DANGER in \`prod-data\``);
      expect(run.markdown).toContain(`  - Lost: ${danger?.lost}`);
      expect(run.markdown).toContain(`  - Recovery: ${danger?.recovery}`);
      expectVerdictsKept(run.markdown);
    },
  );

  it("GIVEN a DANGER resource whose named attributes are marked sensitive THEN its entry names none of them", async () => {
    const plan = awsDelete("aws_cloudwatch_log_group", { name: "/aws/eks/CANARY-sensitive-name/cluster" });
    const change = plan.resource_changes?.find((candidate) => candidate.type === "aws_cloudwatch_log_group");
    change!.change.before_sensitive = { name: true };
    const rds = awsDelete("aws_db_instance", { final_snapshot_identifier: "CANARY-snapshot" });
    const rdsChange = rds.resource_changes?.find((candidate) => candidate.type === "aws_db_instance");
    rdsChange!.change.before_sensitive = { final_snapshot_identifier: true };

    const logGroup = await summarize("prod", JSON.stringify(plan));
    const database = await summarize("prod", JSON.stringify(rds));

    expect(database.json.stacks[0]?.dangers.map((danger) => danger.kind)).toEqual(["rds-instance"]);
    for (const run of [logGroup, database]) {
      expect(run.markdown).not.toContain("CANARY");
      expect(JSON.stringify(run.json)).not.toContain("CANARY");
    }
  });

  it("GIVEN a log group that holds no audit trail deleted THEN it is no DANGER", async () => {
    const run = await summarize("dev", JSON.stringify(awsDelete("aws_cloudwatch_log_group", { name: "/aws/lambda/blockfleet-dev-reconcile" })));

    expect(run.code).toBe(0);
    expect(run.json.stacks[0]?.dangers).toEqual([]);
  });

  it.each([
    [
      "launch template version",
      { launch_template: [{ id: "lt-0abc", name: "blockfleet-prod-p5", version: "3" }] },
      { launch_template: [{ id: "lt-0abc", name: "blockfleet-prod-p5", version: "4" }] },
      "launch template",
    ],
    ["AMI release", { release_version: "1.33.0-20261101" }, { release_version: "1.33.0-20261120" }, "AMI release"],
    ["Kubernetes version", { version: "1.33" }, { version: "1.34" }, "Kubernetes version"],
  ])(
    "GIVEN an update of a CAPACITY_BLOCK node group's %s THEN it is DANGER: it rolls GPU nodes inside a fully used reservation",
    async (_, before, after, named) => {
      const plan = realJson("terraform-show-json-basic-update");
      const [change] = plan.resource_changes ?? [];
      Object.assign(change!, { address: "aws_eks_node_group.p5_block_a", type: "aws_eks_node_group", name: "p5_block_a" });
      Object.assign(change!.change, {
        actions: ["update"],
        before: { capacity_type: "CAPACITY_BLOCK", instance_types: ["p5.48xlarge"], ...before },
        after: { capacity_type: "CAPACITY_BLOCK", instance_types: ["p5.48xlarge"], ...after },
      });

      const run = await summarize("prod-capacity", JSON.stringify(plan));
      const [danger] = run.json.stacks[0]?.dangers ?? [];

      expect(run.code).toBe(2);
      expect(danger?.kind).toBe("capacity-block-node-group-roll");
      expect(danger?.title).toContain("rolls GPU nodes inside a fully used reservation; EKS requires desired size 0 to upgrade");
      expect(run.markdown).toContain(`Changes: ${named}.`);
    },
  );

  it("GIVEN a capacity-block node group whose launch template version is known only after apply THEN it is still DANGER", async () => {
    const plan = realJson("terraform-show-json-basic-update");
    const [change] = plan.resource_changes ?? [];
    Object.assign(change!, { address: "aws_eks_node_group.p5_block_a", type: "aws_eks_node_group" });
    Object.assign(change!.change, {
      actions: ["update"],
      before: { capacity_type: "CAPACITY_BLOCK", launch_template: [{ id: "lt-0abc", version: "3" }] },
      after: { capacity_type: "CAPACITY_BLOCK", launch_template: [{ id: "lt-0abc" }] },
      after_unknown: { launch_template: [{ version: true }] },
    });

    expect((await summarize("prod", JSON.stringify(plan))).json.stacks[0]?.dangers.map((danger) => danger.kind)).toEqual(["capacity-block-node-group-roll"]);
  });

  it("GIVEN a capacity-block node group whose labels or scaling change THEN nothing rolls and it is no DANGER", async () => {
    const plan = realJson("terraform-show-json-basic-update");
    const [change] = plan.resource_changes ?? [];
    Object.assign(change!, { address: "aws_eks_node_group.p5_block_a", type: "aws_eks_node_group" });
    Object.assign(change!.change, {
      actions: ["update"],
      before: { capacity_type: "CAPACITY_BLOCK", version: "1.33", labels: { a: "1" }, scaling_config: [{ desired_size: 0 }] },
      after: { capacity_type: "CAPACITY_BLOCK", version: "1.33", labels: { a: "2" }, scaling_config: [{ desired_size: 2 }] },
    });

    expect((await summarize("prod", JSON.stringify(plan))).code).toBe(0);
  });
});

describe("plan-summary over derived shapes Terraform writes but no repository publishes", () => {
  it("GIVEN the requires-replace plan in create-before-destroy order THEN the replace shows +/- and an EKS cluster of the same name is a name clash", async () => {
    const plan = awsReplace("aws_eks_cluster", { name: "blockfleet-prod" }, ["create", "delete"]);

    const run = await summarize("prod-cluster", JSON.stringify(plan));

    expect(run.markdown).toContain("| ♻️ replace +/- (create first) | `aws_eks_cluster.this` |");
    expect(run.json.stacks[0]?.dangers[0]?.title).toBe("Replace EKS cluster");
    expect(run.markdown).toContain("EKS refuses a second cluster of that name");
  });

  it("GIVEN the same plan in destroy-before-create order THEN it shows -/+ and the outage", async () => {
    const run = await summarize("prod-cluster", JSON.stringify(awsReplace("aws_eks_cluster", { name: "blockfleet-prod" })));

    expect(run.markdown).toContain("| ♻️ replace -/+ (destroy first) | `aws_eks_cluster.this` |");
    expect(run.markdown).toContain("an outage from the delete until the new control plane");
  });

  it("GIVEN the basic-delete plan with the delete turned into a forget THEN it counts a forget, lists it and is no DANGER", async () => {
    const plan = awsDelete("aws_kms_key", {});
    const change = plan.resource_changes?.find((candidate) => candidate.type === "aws_kms_key");
    change!.change.actions = ["forget"];

    const run = await summarize("prod", JSON.stringify(plan));

    expect(run.code).toBe(0);
    expect(run.json.stacks[0]?.counts).toMatchObject({ forget: 1, delete: 0 });
    expect(run.markdown).toContain("| 👋 forget | `aws_kms_key.this` |");
    expect(run.markdown).toContain("1 to forget");
  });

  it("GIVEN the basic-create plan with its creates deferred THEN it counts and lists them with the reason and says the plan is incomplete", async () => {
    const plan = realJson("terraform-show-json-basic-create");
    const changes = plan.resource_changes ?? [];
    const deferred = {
      ...plan,
      complete: false,
      resource_changes: [],
      deferred_changes: changes.map((change) => ({ reason: "instance_count_unknown", resource_change: change })),
    };

    const run = await summarize("dev", JSON.stringify(deferred));

    expect(run.code).toBe(0);
    expect(run.json.stacks[0]?.counts).toEqual({ ...ALL_ZERO, deferred: 3 });
    expect(run.markdown).toContain("### ⏸️ Deferred to a later plan");
    expect(run.markdown).toContain("| ➕ create | `test_instance.test[0]` | test_instance | its count or for_each is not known yet |");
    expect(run.markdown).toContain("another plan and apply round follows");
  });

  it("GIVEN a sensitive value planted in every sensitive place of a real plan THEN it appears nowhere in Markdown or JSON", async () => {
    const canary = "CANARY-7f3a9c-do-not-print";
    const text = real("terraform-show-json-sensitive-values").toString("utf8").replaceAll('"boop"', JSON.stringify(canary));

    const run = await summarize("prod", text);

    expect(run.markdown).toContain("(sensitive value)");
    expect(run.markdown).not.toContain(canary);
    expect(JSON.stringify(run.json)).not.toContain(canary);
  });
});

describe("plan-summary over a plan of more than 1,000 changes", () => {
  /** The basic-create change repeated 1,200 times with indexed addresses, a mix of actions and one DANGER at the end. */
  function largePlan(): PlanDocument {
    const plan = realJson("terraform-show-json-basic-create");
    const [template] = plan.resource_changes ?? [];
    const actions = [["create"], ["update"], ["delete", "create"], ["delete"]];
    const changes = Array.from({ length: 1_200 }, (_, index) => ({
      ...template!,
      address: `test_instance.test[${index}]`,
      index,
      change: { ...template!.change, actions: actions[index % actions.length], before: { ami: `ami-${index}` }, after: { ami: `ami-${index + 1}` } },
    }));
    const danger = awsDelete("aws_kms_key", {}).resource_changes!.find((change) => change.type === "aws_kms_key")!;
    return { ...plan, resource_changes: [...changes, danger] };
  }

  it("GIVEN 1,201 changes THEN the counts are exact, the DANGER is kept, and the comment fits its budget, shortened by whole blocks", async () => {
    const run = await summarize("prod-large", JSON.stringify(largePlan()));

    expect(run.code).toBe(2);
    expect(run.json.stacks[0]?.counts).toMatchObject({ create: 300, update: 300, replace: 300, delete: 301 });
    expect(run.json.stacks[0]?.dangers.map((danger) => danger.kind)).toEqual(["kms-key"]);
    expect(run.markdown).toContain("### 🛑 DANGER in `prod-large`\n\n- **Delete KMS key**: `aws_kms_key.this`");
    expect(run.markdown).toContain("> Shortened to fit 30,000 characters: attribute diffs left out");
    expectVerdictsKept(run.markdown);
  });

  it("GIVEN 1,201 changes and a full-report file THEN that file holds every row and the comment links to it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "blockfleet-corpus-"));
    writeFileSync(path.join(dir, "prod.json"), JSON.stringify(largePlan()));
    const io = captureIo({ cwd: dir });

    await runCli(
      ["plan-summary", "--budget", "20000", "--full-report", "full.md", "--full-report-link", "[job summary](https://example.test/run/1)", "prod.json"],
      io,
    );
    const full = readFileSync(path.join(dir, "full.md"), "utf8");

    expect(io.out().length).toBeLessThanOrEqual(20_000);
    expect(io.out()).toContain("The full report: [job summary](https://example.test/run/1).");
    expect(full).toContain("`test_instance.test[1199]`");
    expect(full).not.toContain("Shortened to fit");
  });
});
