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

export const CAPACITY_OFFERINGS_HELP = `Usage: blockfleet capacity offerings --instance-type T[,T2] --count N --duration 7d
                                     [--env E | --region R | --regions R1,R2] [--start-after DATE]
                                     [--end-before DATE] [--availability-zone AZ[,AZ2]] [--limit N] [--json] [--demo]

Searches EC2 Capacity Block offerings for every listed instance type in every availability zone of the region(s),
ranks them by price per GPU-hour (then per instance-hour, then earliest start), groups them by GPU generation,
prints start and end in UTC, and the purchase command and tfvars entry for the best one. Never buys anything.

Options:
  --instance-type T[,T2]   instance types to compare, e.g. p5.48xlarge,p5e.48xlarge
  --count N                instances in the block
  --duration D             block length: 1d..14d in days, then whole weeks up to 26w (182 days)
  --env E                  search environments/E.tfvars's region and availability_zones only; the purchase command
                           then carries the tags its Karpenter capacity-block pool selects (--tag-specifications)
  --dir DIR                folder holding the environment files (default: environments)
  --region R               AWS region (default: AWS_REGION or AWS_DEFAULT_REGION)
  --regions R1,R2          search several regions at once
  --start-after DATE       earliest start, e.g. 2026-12-01 or 2026-12-01T11:30Z (UTC)
  --end-before DATE        latest end (UTC)
  --availability-zone AZ   keep only offerings in these zones
  --limit N                rows to show (default 20; --json returns all)
  --json                   print JSON for scripts
  --demo                   use the simulated demo account instead of AWS (also BLOCKFLEET_DEMO=1)`;

export const CAPACITY_STATUS_HELP = `Usage: blockfleet capacity status --env E [--dir environments] [--wide] [--json] [--fail-on-warning] [--demo]

Shows every capacity block the environment file tracks and every live capacity block in its region that it doesn't:
instances in use against the reservation, state, start, end and time left (UTC), pending or failed extensions and
their payment, and the node group or node pool using it. Warns about AZ or instance type mismatches with the file,
blocks nobody uses, blocks ending within 24 hours with no extension, failed payments, and expired blocks the file
still lists (remove them). Reads the region from environments/<E>.tfvars; needs ec2:DescribeCapacityReservations and
ec2:DescribeCapacityBlockExtensionHistory.

Options:
  --env E              environment name (environments/E.tfvars; with --demo the shipped demo environment)
  --dir DIR            folder holding the environment files (default: environments)
  --wide               every column, however wide (by default columns are left out to fit the terminal)
  --json               print JSON for scripts (colour is used only on a terminal)
  --fail-on-warning    exit 3 when there is any warning, for cron jobs and CI
  --demo               use the simulated demo account instead of AWS (also BLOCKFLEET_DEMO=1)

Exit codes: 0 shown (warnings included, unless --fail-on-warning), 3 warnings with --fail-on-warning,
1 error (invalid environment file, AWS call failed).`;

export const CAPACITY_TIMELINE_HELP = `Usage: blockfleet capacity timeline --env E [--weeks 6] [--svg FILE] [--mermaid FILE] [--json] [--dir environments] [--demo]

Draws the environment's capacity blocks, their extensions and, per instance type, the gaps between them in the
terminal: weeks starting Monday (UTC) from the week holding yesterday, a "now" marker, a label on each block
(name, instance type × count, zone), one colour and glyph each for active, scheduled, expired, extension paid,
extension pending, payment failed and no capacity, and a legend. Writes files only when asked.

Options:
  --env E          environment name (environments/E.tfvars; with --demo the shipped demo environment)
  --weeks N        weeks to show (default 6, at most 26)
  --svg FILE       write the timeline as an SVG image (legend, now line, labels in the bars); - prints it
  --mermaid FILE   write it as a Mermaid gantt chart; a FILE ending in .md gets a \`\`\`mermaid fence so GitHub
                   renders it; - prints the chart instead of the drawing
  --json           print blocks, segments and gaps as JSON for scripts
  --dir DIR        folder holding the environment files (default: environments)
  --demo           use the simulated demo account instead of AWS (also BLOCKFLEET_DEMO=1)`;

export const CAPACITY_SPEND_HELP = `Usage: blockfleet capacity spend --env E [--month YYYY-MM] [--json] [--dir environments] [--demo]

Shows what the capacity manager bought in one UTC calendar month (its append-only spend ledger): the total against
capacity_manager.monthly_budget_usd, what is left, extensions and replacements apart, and every purchase per block
with its fee, dates and approver. Reads the ledger with one DynamoDB Query on the manager's journal table using your
AWS credentials (dynamodb:Query on <prefix>-journal and its KMS key through DynamoDB).

Options:
  --env E          environment name (environments/E.tfvars; with --demo the shipped demo environment)
  --month YYYY-MM  the UTC month (default: the current one)
  --json           print the month's summary as JSON for scripts (the same shape as GET /spend)
  --dir DIR        folder holding the environment files (default: environments)
  --demo           use the simulated demo account instead of AWS (also BLOCKFLEET_DEMO=1)`;

export const SYNTH_HELP = `Usage: blockfleet synth [env...] [--dir environments] [--out cdktf.out] [--json]

Validates the environment files and synthesizes their stacks into <out>/stacks/<stack>/cdk.tf.json (all
environments when none is named). Prints one line per stack with its resource count. When a file is invalid, every
problem is listed and nothing is written.

Options:
  --dir DIR    folder holding the environment files (default: environments)
  --out DIR    cdktf output folder (default: cdktf.out)
  --json       print the stacks (name, environment, resource count, file) and warnings as JSON`;

export const VALIDATE_HELP = `Usage: blockfleet validate [env...] [--dir environments] [--json]

Checks environment files against the schema without synthesizing (fast): the same messages as synth, every problem
at once, exit code 1 when any file is invalid.

Options:
  --dir DIR    folder holding the environment files (default: environments)
  --json       print { valid, environments, issues } as JSON (issues with file, key path, message)`;

export const STACKS_HELP = `Usage: blockfleet stacks [env...] [--out cdktf.out] [--remote-state-only] [--json]

Lists synthesized stacks in dependency order (each after the stacks it needs), one name per line, for scripts and
CI that run terraform stack by stack. Reads cdktf.out/manifest.json, so run \`blockfleet synth\` first.

Options:
  --out DIR              cdktf output folder (default: cdktf.out)
  --remote-state-only    leave out stacks with local state (the bootstrap stack, applied once by hand)
  --json                 name, directory, dependencies, backend, region and environment of each stack`;
