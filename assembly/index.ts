// The module's export list. Every export takes and returns numbers (ids, counts, byte offsets).

export { heapInUse, heapTop } from "./heap";
export { createLayout } from "./layout";
export { allocSlot, freeSlot, liveSlots, resetSlot, slotBlockBytes, slotIsLive } from "./slots";
export { recordBatch, recordScattered } from "./record";
export { mergeExplicit, mergeExplicitStaged, mergeExponential, mergeSlot, mergeStatistics } from "./merge";
export { snapshot, snapshotBytes } from "./snapshot";
export {
  allocStageBlock, mergeStagePtr, mergeStageWords, scratch, stageCapacity, stageSlotsPtr, stageValuesPtr, transferCapacity, transferSlotsPtr, transferValuesPtr,
} from "./io";
export { fdlibmLog } from "./fdlibm-log";
export { mapNeedsExactPath, mapToIndexExport as mapToIndex, otelMapToIndex } from "./mapping";
