import v8 from 'node:v8';

/**
 * Sets how far V8 lets its old generation grow after each full collection before it starts the
 * next one: a limit of (1 + percent/100) times what the collection kept. V8 reads the setting at
 * every collection, so setting it at start-up works (unlike the heap sizes, which are fixed by
 * then). 0 leaves V8's own factor, which it derives from how fast the program allocates on its
 * heap: while bytes stream through (uploads), the process allocates almost nothing there, V8
 * picks its smallest factor, and the network buffers outside the heap, which count against the
 * limit, start a full collection every few tens of MB (docs/performance.md, "Artifact transfers
 * and the disk").
 */
export function setHeapGrowingPercent(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${Math.trunc(percent)}`);
}
