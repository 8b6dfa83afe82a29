/** Help texts, kept apart from the commands so showing help loads none of them. */

export const PLAN_SUMMARY_HELP = `Usage: blockfleet plan-summary <plan.json>... [--stack NAME] [--allow-danger] [--format markdown|json]
                              [--title TEXT] [--budget CHARS] [--full-report FILE] [--full-report-link TEXT]

Summarizes \`terraform show -json <planfile>\` output for review: per stack the creates, updates, replaces (-/+
destroy first, +/- create first, with the reason), deletes, imports, moves, forgets, deferred changes and drift,
per-resource attribute diffs (sensitive values never printed), and a DANGER section for every change whose loss is
data, money or an outage, saying what is lost and how long recovery takes: capacity block purchases, updates that
roll a capacity-block node group, and replacing or deleting an EKS cluster or node group, RDS instance or cluster,
ElastiCache, DynamoDB table, KMS key, secret, state/model/data bucket or audit log group.

Plans may be UTF-8 (with or without a byte-order mark) or UTF-16. The stack is named after the file
(prod-cluster.json → prod-cluster) or, for a generic name like plan.json, after its folder
(cdktf.out/stacks/prod-cluster/plan.json → prod-cluster). Use - to read one plan from stdin. A file that can't be
read gets its own section; the other stacks are still summarized.

Options:
  --stack NAME              name the stack of a single plan file explicitly
  --allow-danger            exit 0 even when the plan has dangerous changes
  --format markdown|json    Markdown for a PR comment (default) or one JSON document for other tools (--json)
  --title TEXT              the report's heading (default: Terraform plan summary)
  --budget CHARS            fit the Markdown in CHARS characters: diffs, then tables are shortened; the verdict,
                            overview and every DANGER entry always stay
  --full-report FILE        also write the unshortened Markdown report to FILE
  --full-report-budget N    keep that file within N characters (for the 1 MiB job summary)
  --full-report-link TEXT   where a shortened report says the full one is (a Markdown link)

Exit codes: 0 nothing dangerous, 2 dangerous changes (unless --allow-danger), 1 no plan could be read.`;

export const CAPACITY_OFFERINGS_HELP = `Usage: blockfleet capacity offerings --instance-type T[,T2] --count N --duration 7d [--region R]
                                     [--start-after DATE] [--end-before DATE] [--availability-zone AZ[,AZ2]]
                                     [--limit N] [--json]

Searches EC2 Capacity Block offerings for every listed instance type in every availability zone of the region,
ranks them by price per GPU-hour (then per instance-hour, then earliest start), prints start and end in UTC, and
the tfvars entry that attaches the best one to an environment once you have bought it. Never buys anything.

Options:
  --instance-type T[,T2]   instance types to compare, e.g. p5.48xlarge,p5e.48xlarge
  --count N                instances in the block
  --duration D             block length: 1d..14d in days, then whole weeks up to 26w (182 days)
  --region R               AWS region (default: AWS_REGION or AWS_DEFAULT_REGION)
  --start-after DATE       earliest start, e.g. 2026-12-01 or 2026-12-01T11:30Z (UTC)
  --end-before DATE        latest end (UTC)
  --availability-zone AZ   keep only offerings in these zones (e.g. your environment's availability_zones)
  --limit N                rows to show (default 20; --json returns all)
  --json                   print JSON for scripts`;

export const CAPACITY_STATUS_HELP = `Usage: blockfleet capacity status --env E [--dir environments] [--json]

Shows every capacity block the environment file tracks and every live capacity block in its region that it doesn't:
state, start, end and time left (UTC), pending or failed extensions and their payment, and the node group using it.
Warns about AZ or instance type mismatches with the file, blocks nobody uses, and blocks ending within 24 hours
with no extension. Reads the region from environments/<E>.tfvars; needs ec2:DescribeCapacityReservations and
ec2:DescribeCapacityBlockExtensionHistory.

Options:
  --env E        environment name (environments/E.tfvars)
  --dir DIR      folder holding the environment files (default: environments)
  --json         print JSON for scripts (colour is used only on a terminal)`;

export const CAPACITY_TIMELINE_HELP = `Usage: blockfleet capacity timeline --env E [--weeks 6] [--mermaid FILE] [--svg FILE] [--dir environments]

Draws the environment's capacity blocks, their extensions and the gaps between them over the coming weeks (UTC),
in the terminal, and writes the same timeline as a Mermaid gantt chart for docs and pull requests. A FILE ending
in .md gets a \`\`\`mermaid fence so GitHub renders it.

Options:
  --env E          environment name (environments/E.tfvars)
  --weeks N        weeks to show from today (default 6)
  --mermaid FILE   where to write the chart (default capacity-timeline-E.md; - prints it instead of the drawing)
  --svg FILE       also write the timeline as an SVG image
  --dir DIR        folder holding the environment files (default: environments)`;

export const SYNTH_HELP = `Usage: blockfleet synth [env...] [--dir environments] [--out cdktf.out]

Validates the environment files and synthesizes their stacks into <out>/stacks/<stack>/cdk.tf.json (all
environments when none is named). Prints one line per stack with its resource count. When a file is invalid, every
problem is listed and nothing is written.

Options:
  --dir DIR    folder holding the environment files (default: environments)
  --out DIR    cdktf output folder (default: cdktf.out)`;

export const VALIDATE_HELP = `Usage: blockfleet validate [env...] [--dir environments]

Checks environment files against the schema without synthesizing (fast): the same messages as synth, every problem
at once, exit code 1 when any file is invalid.

Options:
  --dir DIR    folder holding the environment files (default: environments)`;

export const STACKS_HELP = `Usage: blockfleet stacks [env...] [--out cdktf.out] [--remote-state-only] [--json]

Lists synthesized stacks in dependency order (each after the stacks it needs), one name per line, for scripts and
CI that run terraform stack by stack. Reads cdktf.out/manifest.json, so run \`blockfleet synth\` first.

Options:
  --out DIR              cdktf output folder (default: cdktf.out)
  --remote-state-only    leave out stacks with local state (the bootstrap stack, applied once by hand)
  --json                 name, directory, dependencies, backend, region and environment of each stack`;
