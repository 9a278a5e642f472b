import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderHtml} from '../../src/report/html.js'
import {findChromium, printToPdf} from '../../src/report/chromium.js'
import {Browser} from '../support/cdp.js'
import {failingResult, fixtureResult} from '../support/evidence.js'
import {requireTool} from '../support/tools.js'

let tmp: string
let browser: Browser
beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'firedrill-html-'))
  browser = await Browser.launch()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  rmSync(tmp, {recursive: true, force: true})
})

const environment = {
  run_id: 'x',
  drill: 'kill-primary',
  topology: 'bank-3site',
  firedrill: {version: '0.1.0', node: 'v24.0.0'},
  engine: {version: '20.10.24', apiVersion: '1.41', os: 'linux/amd64'},
  images: [{ref: 'firedrill/bank-node:15', id: `sha256:${'ab'.repeat(32)}`, repo_digests: []}],
  inputs: [{role: 'drill' as const, path: '/drills/kill-primary.yaml', sha256: 'cd'.repeat(32), bundle_path: 'inputs/drill.yaml', redacted: true}],
  git: {root: '/drills', commit: 'ef'.repeat(20), dirty: false},
  operator: {name: 'J. Kim', source: 'flag' as const},
  host: {hostname: 'drillhost', platform: 'linux', release: '6.1', arch: 'x64'},
  time: {started_at: '2026-11-23T13:02:00.272Z', finished_at: '2026-11-23T13:02:19.516Z', duration_ms: 19244, evidence_started_at: '', evidence_collect_ms: 100},
  secrets_redacted: 3,
}

describe('the HTML report in a real headless Chromium', () => {
  it('loads with no request but its own file, and shows verdict, objectives, chart, lost writes, environment, signature', async () => {
    const file = path.join(tmp, 'pass.html')
    writeFileSync(file, renderHtml({result: fixtureResult(), environment, signature: {state: 'valid', keyid: 'ab'.repeat(32), detail: 'signed by the key given with --pub'}, integrity: {ok: true, problems: []}}))
    const requests = await browser.open(file)
    expect(requests).toEqual([`file://${file}`])
    const page = await browser.evaluate<{
      verdict: string
      verdictColour: string
      rows: string[][]
      chartWidth: number
      chartHeight: number
      samples: {outcome: string; width: number}[]
      markers: string[]
      bracket: string
      lost: string
      env: string
      signature: string
      overflow: boolean
    }>(`(() => {
      const q = (s) => document.querySelector(s)
      const chart = q('#timeline-chart').getBoundingClientRect()
      return {
        verdict: q('#verdict').textContent,
        verdictColour: getComputedStyle(q('#verdict')).backgroundColor,
        rows: [...document.querySelectorAll('#objectives tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
        chartWidth: chart.width, chartHeight: chart.height,
        samples: [...document.querySelectorAll('#timeline-chart rect.sample')].map((r) => ({outcome: r.dataset.outcome, width: r.getBoundingClientRect().width})),
        markers: [...document.querySelectorAll('#timeline-chart g.marker')].map((g) => g.dataset.kind),
        bracket: q('#rto-bracket').textContent,
        lost: q('#lost-writes').innerText,
        env: q('#environment').innerText,
        signature: q('#signature-status').textContent,
        overflow: document.documentElement.scrollWidth > window.innerWidth,
      }
    })()`)
    expect(page.verdict).toBe('PASS')
    expect(page.verdictColour).toBe('rgb(26, 127, 55)')
    expect(page.rows).toEqual([
      ['RTO', '30.00 s', '7.49 s ± 100 ms', 'PASS', 'recovered after 7.49 s (within 30.00 s)'],
      ['RPO', '0 ms', '0 ms (0 lost)', 'PASS', 'no acknowledged write lost (within 0 ms)'],
    ])
    expect(page.chartWidth).toBeGreaterThan(900)
    expect(page.chartHeight).toBeGreaterThan(150)
    expect(page.samples.map((s) => s.outcome)).toEqual(['ok', 'failed', 'ok'])
    expect(Math.min(...page.samples.map((s) => s.width))).toBeGreaterThan(20)
    expect(page.markers).toEqual(expect.arrayContaining(['fault', 'first-failure', 'leader-change', 'recovered', 'revert']))
    expect(page.bracket).toBe('RTO 7.49 s ± 100 ms')
    expect(page.lost).toMatch(/None\. All 54 acknowledged writes were present/)
    expect(page.env).toMatch(/operator\s+J\. Kim \(given with --operator\)/)
    expect(page.env).toMatch(/image firedrill\/bank-node:15\s+sha256:abab/)
    expect(page.signature).toMatch(/^Signature valid/)
    expect(page.overflow).toBe(false)
  })

  it('a failed run: FAIL in red, the missed objective marked', async () => {
    const file = path.join(tmp, 'fail.html')
    writeFileSync(file, renderHtml({result: failingResult(), environment: null, signature: {state: 'unsigned', keyid: null, detail: ''}}))
    await browser.open(file)
    const page = await browser.evaluate<{verdict: string; colour: string; missed: string[]}>(`({
      verdict: document.querySelector('#verdict').textContent,
      colour: getComputedStyle(document.querySelector('#verdict')).backgroundColor,
      missed: [...document.querySelectorAll('#objectives tr.missed td')].map((c) => c.textContent),
    })`)
    expect(page).toEqual({verdict: 'FAIL', colour: 'rgb(198, 40, 40)', missed: ['RTO', '500 ms', '7.49 s ± 100 ms', 'FAIL', 'recovered after 7.49 s (over 500 ms)']})
  })

  it('prints to a PDF whose text holds the verdict and the objectives (--pdf path)', async () => {
    const binary = await findChromium()
    expect(binary, 'chromium is not installed; scripts/setup.sh installs it').toBeDefined()
    const html = path.join(tmp, 'print.html')
    const pdf = path.join(tmp, 'print.pdf')
    writeFileSync(html, renderHtml({result: fixtureResult(), environment, signature: {state: 'signed', keyid: 'ab'.repeat(32), detail: ''}}))
    await printToPdf(binary!, html, pdf)
    const text = spawnSync(requireTool('pdftotext', 'poppler-utils'), ['-raw', pdf, '-'], {encoding: 'utf8'}).stdout
    expect(text).toMatch(/^PASS\nDisaster-recovery drill kill-primary$/m)
    expect(text).toContain('Objectives against measured')
    expect(text).toMatch(/RTO\s+30\.00 s\s+7\.49 s ± 100 ms\s+PASS/)
    expect(text).toContain('RTO 7.49 s ± 100 ms')
  }, 60_000)
})

describe('the sweep heat map in a real headless Chromium', () => {
  it('loads with no request but its own file; one cell per fault and probe, coloured by the heat map, the SPOF cell outlined', async () => {
    const {sweepHtml} = await import('../../src/report/sweep.js')
    const {SWEEP} = await import('../support/sweep.js')
    const file = path.join(tmp, 'sweep.html')
    writeFileSync(file, sweepHtml(SWEEP))
    const requests = await browser.open(file)
    expect(requests).toEqual([`file://${file}`])
    const page = await browser.evaluate<{verdict: string; cells: {text: string; bg: string; outline: string}[]}>(`(() => ({
      verdict: document.getElementById('verdict').textContent,
      cells: [...document.querySelectorAll('td.cell')].map((td) => ({text: td.textContent, bg: getComputedStyle(td).backgroundColor, outline: getComputedStyle(td).outlineStyle})),
    }))()`)
    expect(page.verdict).toBe('1 SPOF')
    expect(page.cells).toHaveLength(6)
    expect(page.cells[0]).toMatchObject({bg: 'rgb(139, 26, 26)', outline: 'solid'})
    expect(page.cells[0]!.text).toContain('single point of failure')
    expect(page.cells[2]).toMatchObject({bg: 'rgb(46, 158, 79)', outline: 'none'})
  })
})
