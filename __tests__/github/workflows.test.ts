import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GITHUB_COMMENT_LIMIT } from "../../src/cli/plan/render";

const root = path.join(__dirname, "..", "..");
const workflowsDir = path.join(root, ".github", "workflows");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  environment?: string;
  "runs-on"?: string;
  strategy?: { matrix?: { environment?: string[] } };
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
}

interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

const text = (file: string) => readFileSync(path.join(workflowsDir, file), "utf8");
const load = (file: string) => parse(text(file)) as Workflow;
const pullRequest = load("pull-request.yml");
const deploy = load("deploy.yml");
const deployEnvironment = load("deploy-environment.yml");
const allFiles = readdirSync(workflowsDir).filter((file) => file.endsWith(".yml"));
const stepUsing = (job: Job | undefined, action: string) => job?.steps?.find((step) => step.uses?.startsWith(`${action}@`));
const shippedEnvironments = readdirSync(path.join(root, "environments"))
  .filter((file) => /\.tfvars(\.json)?$/.test(file))
  .map((file) => file.replace(/\.tfvars(\.json)?$/, ""))
  .sort();

describe("every workflow", () => {
  it.each(allFiles)("GIVEN %s THEN every action is pinned to a full commit SHA with its version in a comment", (file) => {
    const uses = text(file)
      .split("\n")
      .filter((line) => /^\s*(-\s+)?uses:/.test(line) && !line.includes("./.github/"));

    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it.each(allFiles)("GIVEN %s THEN the default token may only read the repository", (file) => {
    expect(load(file).permissions).toEqual({ contents: "read" });
  });

  it.each(allFiles)("GIVEN %s THEN no run script interpolates an expression (script injection); values come through env", (file) => {
    const steps = Object.values(load(file).jobs).flatMap((job) => job.steps ?? []);

    for (const step of steps.filter((candidate) => candidate.run)) expect(step.run).not.toContain("${{");
  });

  it.each(allFiles)("GIVEN %s THEN checkouts don't leave the token in the git config", (file) => {
    const checkouts = Object.values(load(file).jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses?.startsWith("actions/checkout@"));

    for (const checkout of checkouts) expect(checkout.with?.["persist-credentials"]).toBe(false);
  });

  it.each(allFiles)("GIVEN %s THEN AWS credentials come from OIDC, never from stored keys", (file) => {
    const jobs = Object.values(load(file).jobs);
    const credentials = jobs.flatMap((job) => job.steps ?? []).filter((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));

    expect(text(file)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    for (const step of credentials) expect(step.with?.["role-to-assume"]).toMatch(/^\$\{\{ vars/);
    for (const job of jobs.filter((candidate) => (candidate.steps ?? []).some((step) => credentials.includes(step)))) {
      expect(job.permissions?.["id-token"]).toBe("write");
    }
  });

  it.each(allFiles.filter((file) => text(file).includes("setup-terraform")))(
    "GIVEN %s THEN it installs a Terraform that supports the S3 backend's native lock file (1.11 or newer)",
    (file) => {
      const [major, minor] = String((load(file) as Workflow & { env?: Record<string, string> }).env?.TERRAFORM_VERSION)
        .split(".")
        .map(Number);

      expect(major === 1 && (minor ?? 0) >= 11).toBe(true);
    },
  );

  it.each(allFiles)("GIVEN %s THEN Terraform runs without its stdout wrapper so show -json stays parseable", (file) => {
    const setups = Object.values(load(file).jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses?.startsWith("hashicorp/setup-terraform@"));

    for (const setup of setups) expect(setup.with?.terraform_wrapper).toBe(false);
  });
});

describe("the jobs that talk to AWS", () => {
  const awsJobs = [
    ["pull-request.yml", "plan"],
    ["deploy-environment.yml", "deploy"],
  ] as const;

  it.each(awsJobs)("GIVEN %s job %s THEN it can run on a runner that reaches the private cluster endpoint", (file, job) => {
    expect(load(file).jobs[job]?.["runs-on"]).toBe("${{ vars.BLOCKFLEET_RUNNER || 'ubuntu-latest' }}");
  });
});

describe("docs/ci.md", () => {
  const guide = readFileSync(path.join(root, "docs", "ci.md"), "utf8");

  it.each(allFiles)("GIVEN %s THEN every variable it reads is explained in the CI guide", (file) => {
    const names = [...text(file).matchAll(/vars\.([A-Z0-9_]+)|vars\[format\('\{0\}(_[A-Z0-9_]+)'/g)].map((match) => match[1] ?? `<ENV>${match[2]}`);

    for (const name of names) expect(guide, name).toContain(`\`${name}\``);
  });

  it("GIVEN the danger label and the required checks THEN the guide names them as the workflows do", () => {
    const planJobName = String(pullRequest.jobs.plan?.name).replace("${{ matrix.environment }}", "<env>");

    expect(guide).toContain("`blockfleet:allow-danger`");
    expect(guide).toContain(`\`${pullRequest.jobs.test?.name}\``);
    expect(guide).toContain(`\`${planJobName}\``);
  });
});

describe("pull-request.yml", () => {
  const { test, plan, comment } = pullRequest.jobs;

  it("GIVEN a pull request to main THEN it runs, and a newer push cancels the older run", () => {
    expect(pullRequest.on).toEqual({
      pull_request: { branches: ["main"], types: ["opened", "synchronize", "reopened", "labeled", "unlabeled"] },
    });
  });

  it("GIVEN any label change THEN the whole check reruns, so adding the allow-danger label re-evaluates the plan", () => {
    // A job skipped for an unrelated label would count as a passing required check and hide a failed DANGER gate.
    expect(test?.if).toBeUndefined();
    expect(plan?.needs).toBe("test");
    expect(pullRequest.concurrency).toEqual({ group: "pull-request-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
  });

  it("GIVEN the test job THEN it installs (the timeline PNG test's rasterizer too), lints, typechecks, tests, synthesizes and runs the policy gate with read-only access", () => {
    expect(test?.permissions).toEqual({ contents: "read" });
    expect(test?.steps?.filter((step) => step.run).map((step) => step.run)).toEqual([
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends librsvg2-bin",
      "npm test",
      "npm run synth",
      "npm run check",
    ]);
    expect(stepUsing(test, "actions/upload-artifact")?.with?.name).toBe("cdktf-out");
  });

  it("GIVEN the plan job THEN it plans every shipped environment with an OIDC role, only for branches of this repository", () => {
    expect(plan?.needs).toBe("test");
    expect(plan?.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(plan?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect([...(plan?.strategy?.matrix?.environment ?? [])].sort()).toEqual(shippedEnvironments);
    expect(stepUsing(plan, "aws-actions/configure-aws-credentials")?.with).toMatchObject({
      "role-to-assume": "${{ vars[format('{0}_PLAN_ROLE_ARN', matrix.environment)] }}",
      "aws-region": "${{ vars[format('{0}_AWS_REGION', matrix.environment)] }}",
    });
  });

  it("GIVEN the plan step THEN it plans each stack folder through the script and accepts danger only with the PR label", () => {
    const step = plan?.steps?.find((candidate) => candidate.run?.includes("plan-environment.sh"));

    expect(step?.run).toBe('.github/scripts/plan-environment.sh "$ENVIRONMENT_NAME" "plan-summary-$ENVIRONMENT_NAME.md"');
    expect(step?.env).toEqual({
      ENVIRONMENT_NAME: "${{ matrix.environment }}",
      ALLOW_DANGER: "${{ contains(github.event.pull_request.labels.*.name, 'blockfleet:allow-danger') }}",
      PLAN_COMMENT_BUDGET: expect.stringMatching(/^\d+$/),
    });
    const uploads = plan?.steps?.filter((candidate) => candidate.uses?.startsWith("actions/upload-artifact@")) ?? [];
    expect(uploads.map((upload) => [upload.if, upload.with?.name, upload.with?.path])).toEqual([
      ["always()", "plan-summary-${{ matrix.environment }}", "plan-summary-${{ matrix.environment }}.md"],
      ["always()", "plan-report-full-${{ matrix.environment }}", "plan-summary-${{ matrix.environment }}.full.md"],
    ]);
    expect(stepUsing(comment, "actions/download-artifact")?.with?.pattern).toBe("plan-summary-*");
  });

  it("GIVEN the comment job THEN it alone may write to the pull request, and updates one marked comment in place", () => {
    const script = String(stepUsing(comment, "actions/github-script")?.with?.script);

    expect(comment?.needs).toBe("plan");
    expect(comment?.if).toBe("always() && needs.plan.result != 'skipped'");
    expect(comment?.permissions).toEqual({ "pull-requests": "write" });
    expect(stepUsing(comment, "aws-actions/configure-aws-credentials")).toBeUndefined();
    expect(script).toContain('const marker = "<!-- blockfleet-plan-summary -->";');
    expect(script).toContain("comment.body?.startsWith(prefix)");
    expect(script).toContain("github.rest.issues.updateComment");
    expect(script).toContain("github.rest.issues.createComment");
    expect(script).toContain("const limit = 65536;");
    expect(script).not.toMatch(/\.slice\(0, limit/);
  });

  it("GIVEN every environment's comment budget THEN all of them fit one comment with room for its own lines", () => {
    const step = plan?.steps?.find((candidate) => candidate.run?.includes("plan-environment.sh"));
    const environments = plan?.strategy?.matrix?.environment?.length ?? 0;

    expect(Number(step?.env?.PLAN_COMMENT_BUDGET) * environments + 2_000).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });

  it("GIVEN every job THEN only the comment job has any write permission besides the OIDC token", () => {
    const writes = Object.entries(pullRequest.jobs).flatMap(([name, job]) =>
      Object.entries(job.permissions ?? {})
        .filter(([scope, level]) => level === "write" && scope !== "id-token")
        .map(([scope]) => `${name}:${scope}`),
    );

    expect(writes).toEqual(["comment:pull-requests"]);
  });
});

describe("deploy.yml", () => {
  it("GIVEN a push to main or a manual run THEN it deploys, one run at a time and never cancelled mid-apply", () => {
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(deploy.on.push).toEqual({ branches: ["main"] });
    expect(deploy.on.workflow_dispatch).toEqual({
      inputs: { allow_danger: { description: expect.any(String), type: "boolean", default: false } },
    });
    expect(deploy.concurrency).toEqual({ group: "deploy", "cancel-in-progress": false });
  });

  it("GIVEN a manual run on another branch THEN nothing deploys: the first job runs on main only and the rest need it", () => {
    const { synth, "deploy-dev": dev, "deploy-prod": prod } = deploy.jobs;

    expect(synth?.if).toBe("github.ref == 'refs/heads/main'");
    expect([dev?.needs, prod?.needs]).toEqual(["synth", "deploy-dev"]);
    expect([dev?.if, prod?.if]).toEqual([undefined, undefined]);
  });

  it("GIVEN the jobs THEN dev deploys after synth and prod after dev, each through the environment workflow", () => {
    const { synth, "deploy-dev": dev, "deploy-prod": prod } = deploy.jobs;

    expect(synth?.steps?.filter((step) => step.run).map((step) => step.run)).toEqual([
      "npm ci",
      "sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends librsvg2-bin",
      "npm test",
      "npm run synth",
      "npm run check",
    ]);
    expect(dev).toMatchObject({ needs: "synth", uses: "./.github/workflows/deploy-environment.yml", with: { environment: "dev" } });
    expect(prod).toMatchObject({ needs: "deploy-dev", uses: "./.github/workflows/deploy-environment.yml", with: { environment: "prod" } });
    for (const job of [dev, prod]) {
      expect(job?.permissions).toEqual({ contents: "read", "id-token": "write" });
      expect(job?.with?.allow_danger).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.allow_danger }}");
    }
  });

  it("GIVEN every shipped environment THEN deploy.yml deploys it", () => {
    const deployed = Object.values(deploy.jobs).flatMap((job) => (typeof job.with?.environment === "string" ? [job.with.environment] : []));

    expect(deployed.sort()).toEqual(shippedEnvironments);
  });

  it("GIVEN the environment workflow THEN its job runs in the GitHub environment (reviewers, scoped variables) and applies through the review script", () => {
    const job = deployEnvironment.jobs.deploy;
    const step = job?.steps?.find((candidate) => candidate.run?.includes("deploy-environment.sh"));

    expect(Object.keys(deployEnvironment.on)).toEqual(["workflow_call"]);
    expect(job?.environment).toBe("${{ inputs.environment }}");
    expect(job?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(stepUsing(job, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    expect(step?.run).toBe('.github/scripts/deploy-environment.sh "$ENVIRONMENT_NAME"');
    expect(step?.env).toEqual({ ENVIRONMENT_NAME: "${{ inputs.environment }}", ALLOW_DANGER: "${{ inputs.allow_danger }}" });
  });
});
