#!/usr/bin/env bash
# Plans every remote-state stack of one environment in dependency order (read-only: no state lock) and writes one
# Markdown report with blockfleet plan-summary. The bootstrap stack keeps local state and is applied by hand.
#
# Usage: plan-environment.sh <env> <report.md>
# Environment: TERRAFORM_BINARY_NAME (terraform or tofu), ALLOW_DANGER=true to report danger without failing,
#              BLOCKFLEET (command running the CLI), CDKTF_OUT (synth output, default cdktf.out),
#              PLAN_COMMENT_BUDGET (characters the report may take in the PR comment, default 30000),
#              GITHUB_STEP_SUMMARY (the full report is appended to it when set; it is also written beside the
#              report as <report>.full.md). The full report is kept under the job summary's 1 MiB limit, losing
#              attribute diffs first.
# The report fits the budget by shortening detail (diffs, then tables), never the verdicts or DANGER; when it is
# shortened it links to the full report in the job summary of this run.
# Exit: 0 clean, 2 dangerous changes (unless ALLOW_DANGER=true), 1 a stack failed to plan.
set -euo pipefail

environment="${1:?usage: plan-environment.sh <env> <report.md>}"
report="${2:?usage: plan-environment.sh <env> <report.md>}"
terraform="${TERRAFORM_BINARY_NAME:-terraform}"
# The CLI of this checkout, run by node directly (no npx lookup, nothing fetched).
blockfleet="${BLOCKFLEET:-node $(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bin/blockfleet.cjs}"
out="${CDKTF_OUT:-cdktf.out}"
budget="${PLAN_COMMENT_BUDGET:-30000}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
full="${report%.md}.full.md"
# Where a shortened report points: this run's job summary in Actions, the full report file elsewhere.
if [[ -n "${GITHUB_RUN_ID:-}" ]]; then
  full_link="the job summary of \`plan $environment\` in the [workflow run](${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID)"
else
  full_link="\`$full\`"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
# A plain assignment, so a failure to list the stacks stops the script (set -e ignores it inside `for … in $(…)`).
stacks="$($blockfleet stacks "$environment" --out "$out" --remote-state-only)"
for stack in $stacks; do
  dir="$out/stacks/$stack"
  echo "::group::plan $stack"
  if "$terraform" -chdir="$dir" init -input=false -no-color >"$work/$stack.log" 2>&1 &&
    "$terraform" -chdir="$dir" plan -input=false -no-color -lock=false -out=tfplan >>"$work/$stack.log" 2>&1 &&
    "$terraform" -chdir="$dir" show -json tfplan >"$work/$stack.json" 2>>"$work/$stack.log"; then
    cat "$work/$stack.log"
  else
    cat "$work/$stack.log"
    failed+=("$stack")
    rm -f "$work/$stack.json"
  fi
  echo "::endgroup::"
done

status=0
shopt -s nullglob
plans=("$work"/*.json)
if ((${#plans[@]} > 0)); then
  allow=()
  if [[ "${ALLOW_DANGER:-false}" == "true" ]]; then allow=(--allow-danger); fi
  $blockfleet plan-summary --title "Terraform plan: $environment" "${allow[@]}" --budget "$budget" \
    --full-report "$full" --full-report-budget 900000 --full-report-link "$full_link" \
    "${plans[@]}" >"$report" 2>"$work/plan-summary.err" || status=$?
  cat "$work/plan-summary.err" >&2
  if [[ -f "$full" ]]; then cat "$full" >>"$summary"; fi
  # Exit 1 with nothing on stdout: no plan could be read. The report says why instead of staying empty.
  if [[ ! -s "$report" ]]; then
    {
      printf '# Terraform plan: %s\n\nNo plan could be summarized:\n\n```\n' "$environment"
      cat "$work/plan-summary.err"
      printf '```\n'
    } >"$report"
  fi
else
  printf '# Terraform plan: %s\n\nNo stack could be planned.\n' "$environment" >"$report"
fi

if ((${#failed[@]} > 0)); then
  {
    printf '\n## ❌ Plan failed\n\n'
    for stack in "${failed[@]}"; do
      printf '<details><summary><code>%s</code></summary>\n\n```\n' "$stack"
      tail -n 40 "$work/$stack.log"
      printf '```\n\n</details>\n\n'
    done
  } >>"$report"
  status=1
fi
exit "$status"
