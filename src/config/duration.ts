/**
 * Durations as people write them in drill files: `100ms`, `30s`, `2m`, `1m30s`, `1.5s`, `0s`.
 * A bare number is milliseconds. Everything inside firedrill is integer milliseconds.
 */
const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y

export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined
  const text = input.trim()
  if (text === '') return undefined
  if (/^\d+$/.test(text)) return Number(text)
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex
    const match = PART.exec(text)
    if (!match || match.index !== start) return undefined
    total += Number(match[1]) * UNIT_MS[match[2]!]!
  }
  return Math.round(total)
}

export const DURATION_HINT = 'a duration such as 100ms, 30s, 2m or 1m30s'

/** `1234` → `1.23 s`; below one second, whole milliseconds. */
export function formatMs(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(2)} s`
}

/** Whole milliseconds written back as drill files write them: `250ms`, `30s`, `4m5s`, `1h30m`, `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`
}
