#!/usr/bin/env bash
# Deploys one environment stack by stack in dependency order: plan, review the plan with blockfleet plan-summary,
# apply exactly that plan. A dangerous plan (a capacity block purchase, replacing a cluster, deleting data) stops the
# deployment before anything of that stack is applied, unless ALLOW_DANGER=true. The bootstrap stack (local state)
# is applied by hand once and skipped here.
#
# Usage: deploy-environment.sh <env>
# Environment: TERRAFORM_BINARY_NAME (terraform or tofu), ALLOW_DANGER, BLOCKFLEET, CDKTF_OUT,
#              GITHUB_STEP_SUMMARY (each stack's review is appended to it when set, shortened to REVIEW_BUDGET
#              characters, default 150000, so a few stacks stay under the job summary's 1 MiB limit; the verdicts
#              and DANGER are never shortened away).
set -euo pipefail

environment="${1:?usage: deploy-environment.sh <env>}"
terraform="${TERRAFORM_BINARY_NAME:-terraform}"
# The CLI of this checkout, run by node directly (no npx lookup, nothing fetched).
blockfleet="${BLOCKFLEET:-node $(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bin/blockfleet.cjs}"
out="${CDKTF_OUT:-cdktf.out}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
allow=()
if [[ "${ALLOW_DANGER:-false}" == "true" ]]; then allow=(--allow-danger); fi

# A plain assignment, so a failure to list the stacks stops the script (set -e ignores it inside `for … in $(…)`).
stacks="$($blockfleet stacks "$environment" --out "$out" --remote-state-only)"
for stack in $stacks; do
  dir="$out/stacks/$stack"
  echo "::group::deploy $stack"
  "$terraform" -chdir="$dir" init -input=false -no-color
  "$terraform" -chdir="$dir" plan -input=false -no-color -out=tfplan
  "$terraform" -chdir="$dir" show -json tfplan >"$dir/tfplan.json"
  review=0
  $blockfleet plan-summary --title "Deploy $stack" --stack "$stack" "${allow[@]}" --budget "${REVIEW_BUDGET:-150000}" \
    "$dir/tfplan.json" >"$dir/review.md" || review=$?
  cat "$dir/review.md" >>"$summary"
  if ((review != 0)); then
    cat "$dir/review.md"
    echo "::error::$stack: the plan has dangerous changes (exit $review); nothing of $stack was applied. Review it, then run the deploy workflow by hand with allow_danger."
    exit "$review"
  fi
  "$terraform" -chdir="$dir" apply -input=false -no-color tfplan
  echo "::endgroup::"
done
