import {parse} from 'csv-parse/sync'

import type {Sample} from '../model/sample.js'

export const SAMPLE_COLUMNS = ['seq', 'start_ms', 'end_ms', 'outcome', 'node', 'error'] as const

/**
 * samples.csv: one row per probe sample, times in ms since the run started (the runner's monotonic clock).
 * Written here (four lines, exact about the bytes that are sealed), read back with csv-parse.
 */
export function samplesCsv(samples: readonly Sample[]): string {
  const rows = [SAMPLE_COLUMNS.join(',')]
  for (const s of samples) rows.push([s.seq, s.start, s.end, s.outcome, s.node ?? '', s.error ?? ''].map(cell).join(','))
  return `${rows.join('\n')}\n`
}

function cell(v: string | number): string {
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** samples.csv read back (from a bundle that may have been tampered with) by csv-parse, strictly: RFC 4180 quoting, every row six fields. */
export function parseSamplesCsv(text: string): Sample[] {
  let rows: string[][]
  try {
    rows = parse(text, {relax_column_count: false, skip_empty_lines: false, record_delimiter: ['\n', '\r\n']}) as string[][]
  } catch (error) {
    throw new Error(`samples.csv: ${(error as Error).message}`)
  }
  const head = rows.shift() ?? []
  if (head.join(',') !== SAMPLE_COLUMNS.join(',')) throw new Error(`samples.csv: unexpected header ${head.join(',')}`)
  return rows.map((r) => {
    const s: Sample = {seq: Number(r[0]), start: Number(r[1]), end: Number(r[2]), outcome: r[3] as Sample['outcome']}
    if (r[4]) s.node = r[4]
    if (r[5]) s.error = r[5]
    return s
  })
}
