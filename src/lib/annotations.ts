/**
 * Warnings travel the cdktf way: a construct calls `Annotations.of(this).addWarning(message)`, cdktf records it in
 * the stack's manifest (where `cdktf synth` prints it), and synth reads it back from the tree here to print it and
 * return it (`blockfleet synth --json`), whichever construct raised it.
 */
import { AnnotationMetadataEntryType } from "cdktf";
import type { IConstruct } from "constructs";

/** Every warning annotation in the tree under `scope` (the scope included), in construct order. */
export function warningsOf(scope: IConstruct): string[] {
  return scope.node
    .findAll()
    .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === AnnotationMetadataEntryType.WARN).map((entry) => String(entry.data)));
}
