import type {Sample} from '../model/sample.js'

export const SAMPLE_COLUMNS = ['seq', 'start_ms', 'end_ms', 'outcome', 'node', 'error'] as const

/** samples.csv: one row per probe sample, times in ms since the run started (the runner's monotonic clock). */
export function samplesCsv(samples: readonly Sample[]): string {
  const rows = [SAMPLE_COLUMNS.join(',')]
  for (const s of samples) rows.push([s.seq, s.start, s.end, s.outcome, s.node ?? '', s.error ?? ''].map(cell).join(','))
  return `${rows.join('\n')}\n`
}

function cell(v: string | number): string {
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function parseSamplesCsv(text: string): Sample[] {
  const rows = parseCsv(text)
  const head = rows.shift() ?? []
  if (head.join(',') !== SAMPLE_COLUMNS.join(',')) throw new Error(`samples.csv: unexpected header ${head.join(',')}`)
  return rows.map((r) => {
    const s: Sample = {seq: Number(r[0]), start: Number(r[1]), end: Number(r[2]), outcome: r[3] as Sample['outcome']}
    if (r[4]) s.node = r[4]
    if (r[5]) s.error = r[5]
    return s
  })
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else if (c !== '\r') field += c
  }
  if (field !== '' || row.length > 0) rows.push([...row, field])
  return rows
}
