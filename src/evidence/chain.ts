import {createHash} from 'node:crypto'
import type {TimelineEvent} from '../model/timeline.js'


/** The hash of the line before the first. */
export const GENESIS = '0'.repeat(64)

export interface ChainedEvent extends TimelineEvent {
  /** Position in the file, from 0. */
  i: number
  /** SHA-256 (hex) of the previous line's exact text; GENESIS for the first. */
  prev: string
}

export function sha256hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** events.jsonl: one event per line, each carrying the hash of the line before it. */
export function chainEvents(events: readonly TimelineEvent[]): string {
  let prev = GENESIS
  const lines: string[] = []
  events.forEach((e, i) => {
    const line = JSON.stringify({i, t_ms: e.t_ms, at: e.at, kind: e.kind, detail: e.detail, prev})
    lines.push(line)
    prev = sha256hex(line)
  })
  return lines.map((l) => `${l}\n`).join('')
}

export interface ChainCheck {
  ok: boolean
  events: number
  /** 1-based line numbers whose link to the line before is broken, with why. */
  broken: {line: number; reason: string}[]
}

export function verifyChain(text: string): ChainCheck {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const broken: ChainCheck['broken'] = []
  let prev = GENESIS
  lines.forEach((line, index) => {
    let event: Partial<ChainedEvent>
    try {
      event = JSON.parse(line) as Partial<ChainedEvent>
    } catch {
      broken.push({line: index + 1, reason: 'not JSON'})
      prev = sha256hex(line)
      return
    }
    if (event.prev !== prev) broken.push({line: index + 1, reason: "does not carry the hash of the line before it"})
    else if (event.i !== index) broken.push({line: index + 1, reason: `numbered ${event.i}, expected ${index}`})
    prev = sha256hex(line)
  })
  return {ok: broken.length === 0, events: lines.length, broken}
}

export function parseEvents(text: string): TimelineEvent[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const {i: _i, prev: _prev, ...e} = JSON.parse(l) as ChainedEvent
      return e
    })
}
