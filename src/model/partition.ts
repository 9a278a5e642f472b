/** Which sites a partition cuts apart. Shared vocabulary: this module imports nothing else from src/. */

export type PartitionDirection = 'both' | 'one-way'

/**
 * Whether packets from site `from` to site `to` are dropped. Sites in different groups are cut apart
 * unless some group holds both (groups may overlap); one-way cuts only from an earlier group to a later one.
 */
export function isCut(groups: readonly (readonly string[])[], direction: PartitionDirection, from: string, to: string): boolean {
  if (from === to) return false
  if (groups.some((g) => g.includes(from) && g.includes(to))) return false
  for (const [i, gi] of groups.entries()) {
    for (const [j, gj] of groups.entries()) {
      if (i === j || !gi.includes(from) || !gj.includes(to)) continue
      if (direction === 'both' || i < j) return true
    }
  }
  return false
}

/** Every ordered pair of sites whose packets the partition drops, as `from → to`. */
export function cutPairs(groups: readonly (readonly string[])[], direction: PartitionDirection): {from: string; to: string}[] {
  const sites = [...new Set(groups.flat())]
  return sites.flatMap((from) => sites.filter((to) => isCut(groups, direction, from, to)).map((to) => ({from, to})))
}
