/** Node-group sizing: what the record's linked EKS node group should run, as a scaleNodeGroup action. */
import { NODE_GROUP_SCALE_DOWN_BEFORE_END_MS } from "../rules";
import type { Draft } from "./draft";
import { ACTIVE_STATE, terminalStatus } from "./lifecycle";
import { iso, nodeGroupScaleDownReason } from "./messages";

/** Sizes the record's linked node group: its desired size while the block is active, 0 from NODE_GROUP_SCALE_DOWN_BEFORE_END_MS before the end or once the block is over. */
export function planNodeGroup(d: Draft, state: string, endMs: number): void {
  const link = d.record.nodeGroup;
  if (!link) return;
  const scaleDownAt = endMs - NODE_GROUP_SCALE_DOWN_BEFORE_END_MS;
  d.set("nodeGroupScaleDownAt", iso(scaleDownAt));
  const active = state === ACTIVE_STATE && d.now.getTime() < scaleDownAt;
  const over = terminalStatus(state) !== undefined || d.now.getTime() >= scaleDownAt;
  // Before the block starts the group keeps the size it was created with: per the EKS guide its launches fail
  // until the reservation turns active and then fill it at once, so scaling it to 0 here would only delay nodes.
  if (!active && !over) return;
  const target = active ? link.desiredSize : 0;
  // While active the size is verified every run: EKS schedules its own scale-down against the end
  // it saw at creation, so after an extension the manager puts the nodes back until the real end.
  if (!active && d.record.nodeGroupAppliedSize === target) return;
  const reason = active
    ? `block active until ${iso(endMs)}; keep ${target} nodes until ${iso(scaleDownAt)}`
    : state === ACTIVE_STATE
      ? nodeGroupScaleDownReason(endMs)
      : `block is ${state}; no nodes can run`;
  d.actions.push({ kind: "scaleNodeGroup", clusterName: link.clusterName, nodegroupName: link.nodegroupName, desiredSize: target, reason });
}
