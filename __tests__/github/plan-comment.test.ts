import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderPlanReport } from "../../src/cli/plan/render";
import type { StackSummary } from "../../src/cli/plan/summarize";

/**
 * Runs the pull-request workflow's comment script (the text in the YAML, unchanged) the way actions/github-script
 * does, with a fake GitHub client that records the comments, over plan reports written to a summaries folder.
 */
const root = path.join(__dirname, "..", "..");
const workflow = parse(readFileSync(path.join(root, ".github", "workflows", "pull-request.yml"), "utf8")) as {
  jobs: { comment: { steps: { uses?: string; with?: { script?: string } }[] } };
};
const script = String(workflow.jobs.comment.steps.find((step) => step.uses?.startsWith("actions/github-script@"))?.with?.script);
const LIMIT = 65_536;

interface Comment {
  id: number;
  body: string;
  html_url: string;
  user: { type: string };
}

async function runCommentScript(reports: Record<string, string>, existing: Comment[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), "blockfleet-comment-"));
  for (const [name, text] of Object.entries(reports)) writeFileSync(path.join(dir, name), text);
  const comments = [...existing];
  const bodies: string[] = [];
  const github = {
    paginate: async () => comments.map((comment) => ({ ...comment })),
    rest: {
      issues: {
        listComments: () => undefined,
        createComment: async ({ body }: { body: string }) => {
          const comment = {
            id: 100 + comments.length,
            body,
            html_url: `https://github.test/pr/7#issuecomment-${100 + comments.length}`,
            user: { type: "Bot" },
          };
          comments.push(comment);
          bodies.push(body);
          return { data: comment };
        },
        updateComment: async ({ comment_id, body }: { comment_id: number; body: string }) => {
          const comment = comments.find((candidate) => candidate.id === comment_id);
          if (!comment) throw new Error(`no comment ${comment_id}`);
          comment.body = body;
          bodies.push(body);
          return { data: comment };
        },
      },
    },
  };
  const context = {
    serverUrl: "https://github.test",
    repo: { owner: "acme", repo: "blockfleet" },
    runId: 42,
    sha: "0123456789abcdef",
    payload: { pull_request: { number: 7 } },
  };
  const fakeProcess = { env: { PLAN_SUMMARIES_DIR: dir } };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction("require", "github", "context", "process", script)(createRequire(__filename), github, context, fakeProcess);
  return { comments, bodies };
}

/** A report of one environment: a DANGER entry and `rows` changes, shortened to `budget` when given. */
function report(environment: string, rows: number, budget?: number): string {
  const summary: StackSummary = {
    stack: `${environment}-cluster`,
    counts: { create: rows, update: 0, replace: 0, delete: 1, forget: 0, import: 0, move: 0, deferred: 0, drift: 0, "no-op": 0 },
    changes: Array.from({ length: rows }, (_, index) => ({
      address: `aws_security_group_rule.rule_with_a_long_name_${index}`,
      type: "aws_security_group_rule",
      kind: "create" as const,
      attributes: [{ path: "description", op: "+" as const, after: `"rule ${index}"` }],
    })),
    deferred: [],
    drift: [],
    dangers: [
      {
        kind: "kms-key",
        address: `aws_kms_key.${environment}_secrets`,
        change: "delete",
        title: "Delete KMS key",
        lost: "everything encrypted with it",
        recovery: "cancel within 30 days",
        details: [],
      },
    ],
    notes: [],
  };
  return renderPlanReport({ summaries: [summary], title: `Terraform plan: ${environment}` }, budget !== undefined ? { budget } : {});
}

const balanced = (text: string) => (text.match(/<details>/g)?.length ?? 0) === (text.match(/<\/details>/g)?.length ?? 0);

describe("pull-request.yml comment script", () => {
  it("GIVEN reports within their budgets THEN one marked comment holds them all, untouched", async () => {
    const dev = report("dev", 50, 30_000);
    const prod = report("prod", 50, 30_000);

    const { comments } = await runCommentScript({ "plan-summary-dev.md": dev, "plan-summary-prod.md": prod });

    expect(comments).toHaveLength(1);
    expect(comments[0]?.body.startsWith("<!-- blockfleet-plan-summary -->")).toBe(true);
    expect(comments[0]?.body).toContain(dev.trim());
    expect(comments[0]?.body).toContain(prod.trim());
  });

  it("GIVEN reports too long together (a budget set too high) THEN every verdict and DANGER stays in the first comment and the detail moves to a second, nothing cut", async () => {
    const dev = report("dev", 200);
    const prod = report("prod", 200);
    expect(dev.length + prod.length).toBeGreaterThan(LIMIT);

    const { comments } = await runCommentScript({ "plan-summary-dev.md": dev, "plan-summary-prod.md": prod });
    const [main, details] = comments;

    expect(comments).toHaveLength(2);
    expect(main?.body.length).toBeLessThanOrEqual(LIMIT);
    expect(details?.body.length).toBeLessThanOrEqual(LIMIT);
    for (const environment of ["dev", "prod"]) {
      expect(main?.body).toContain(`### 🛑 DANGER in \`${environment}-cluster\``);
      expect(main?.body).toContain(`- **Delete KMS key**: \`aws_kms_key.${environment}_secrets\``);
    }
    expect(main?.body).toContain(`in the next comment (${details?.html_url})`);
    expect(details?.body.startsWith("<!-- blockfleet-plan-summary-details -->")).toBe(true);
    expect(details?.body).toContain("## `dev-cluster`");
    expect(details?.body).toContain(
      "doesn't fit a comment; read it in the job summaries of the [workflow run](https://github.test/acme/blockfleet/actions/runs/42)",
    );
    for (const comment of comments) expect(balanced(comment.body)).toBe(true);
  });

  it("GIVEN a second comment left by an earlier run and reports that now fit THEN that comment says so instead of showing stale detail", async () => {
    const existing = [
      { id: 1, body: "<!-- blockfleet-plan-summary -->\n\nold", html_url: "u1", user: { type: "Bot" } },
      { id: 2, body: "<!-- blockfleet-plan-summary-details -->\n\nold detail", html_url: "u2", user: { type: "Bot" } },
    ];

    const { comments } = await runCommentScript({ "plan-summary-dev.md": report("dev", 5) }, existing);

    expect(comments).toHaveLength(2);
    expect(comments[0]?.body).toContain("## `dev-cluster`");
    expect(comments[1]?.body).toBe("<!-- blockfleet-plan-summary-details -->\nNo further detail: the plan summary fits in the comment above.");
  });

  it("GIVEN no report THEN the comment points to the workflow run", async () => {
    const { comments } = await runCommentScript({});

    expect(comments.map((comment) => comment.body)).toEqual([
      "<!-- blockfleet-plan-summary -->\n\nNo plan summary was produced; see the [workflow run](https://github.test/acme/blockfleet/actions/runs/42).",
    ]);
  });
});
