/** Small statistics shared by the bench's reports. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Max minus min over the median, in percent: how far two runs of one side drift apart. */
export function spreadPercent(values: readonly number[]): number {
  const mid = median(values);
  return values.length < 2 || mid === 0
    ? 0
    : Math.round(((Math.max(...values) - Math.min(...values)) / mid) * 100);
}
