import {describe, expect, it} from 'vitest'

import {formatDuration, formatMs, parseDuration} from '../../src/config/duration.js'

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0s', 0],
    ['250', 250],
    [250, 250],
  ])('%s → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms))

  it.each(['30 secs', 'abc', '', '10x', '-5s', 's', '1s2', -1, Number.NaN])('rejects %j', (input) => expect(parseDuration(input)).toBeUndefined())
})

describe('formatMs', () => {
  it('prints milliseconds below a second and seconds with two decimals above', () => {
    expect(formatMs(42)).toBe('42 ms')
    expect(formatMs(9420)).toBe('9.42 s')
  })
})

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [30_000, '30s'],
    [1500, '1.5s'],
    [245_000, '4m5s'],
    [600_000, '10m'],
    [5_400_000, '1h30m'],
  ])('%d ms → %s, which parses back to the same', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toBe(ms)
  })
})
