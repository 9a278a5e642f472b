import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {githubAnnotations, githubSummary, objectiveLine, publishToGitHubActions} from '../../src/report/github.js'
import {PACKAGE_ROOT} from '../../src/paths.js'
import {failingResult, fixtureResult} from '../support/evidence.js'
import {tempDir} from '../support/files.js'

const tmp = tempDir()
afterAll(() => tmp.cleanup())
const KILL_PRIMARY = path.join(PACKAGE_ROOT, 'drills', 'kill-primary.yaml')
const lineOf = (file: string, text: string) => readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1

describe('GitHub Actions annotations', () => {
  it('one ::error per missed objective, at the line of the drill file that sets it, file relative to the workspace', () => {
    const failing = {...failingResult(), drill_file: KILL_PRIMARY}
    const lines = githubAnnotations([{drill: 'kill-primary', runs: [failing], verdict: 'fail'}], PACKAGE_ROOT)
    expect(lines).toHaveLength(1)
    const rtoLine = lineOf(KILL_PRIMARY, '  rto: 30s')
    expect(rtoLine).toBeGreaterThan(1)
    expect(lines[0]).toMatch(new RegExp(`^::error file=drills/kill-primary.yaml,line=${rtoLine},title=kill-primary%3A rto missed::rto measured .+, objective 500 ms: recovered after`))
    // A passing drill annotates nothing.
    expect(githubAnnotations([{drill: 'kill-primary', runs: [{...fixtureResult(), drill_file: KILL_PRIMARY}], verdict: 'pass'}], PACKAGE_ROOT)).toEqual([])
  })

  it('objectives from a policy tier point at the tier line; a wait not met at its step; messages and properties escaped', () => {
    const file = tmp.write('tiered.yaml', 'name: tiered\ntier: gold\nprobe: {kind: postgres-write, service: postgres}\nsteps:\n  - sleep: 1s\n  - wait: recovered\n    timeout: 5s\n')
    expect(objectiveLine(file, 'rto')).toBe(2)
    expect(objectiveLine(file, 'Step 2/2: wait until recovered (at most 5.00 s)')).toBe(6)
    const result = {
      ...fixtureResult(),
      drill: 'tiered',
      drill_file: file,
      results: [{objective: 'rpo', target_ms: 0, measured_ms: 1200, target: '0 s', measured: '1.20 s', met: false, reason: '3 acknowledged writes lost:\n100% gone, a,b'}],
    }
    const [line] = githubAnnotations([{drill: 'tiered', runs: [result], verdict: 'fail'}], tmp.dir)
    expect(line).toBe('::error file=tiered.yaml,line=2,title=tiered%3A rpo missed::rpo measured 1.20 s, objective 0 s: 3 acknowledged writes lost:%0A100%25 gone, a,b')
  })

  it('an aborted run is one annotation saying nothing was measured', () => {
    const aborted = {...fixtureResult(), drill_file: KILL_PRIMARY, status: 'aborted' as const, verdict: 'fail' as const}
    expect(githubAnnotations([{drill: 'kill-primary', runs: [aborted], verdict: 'fail'}], PACKAGE_ROOT)).toEqual([
      expect.stringMatching(/^::error file=drills\/kill-primary.yaml,line=1,title=kill-primary%3A aborted::drill kill-primary run \S+ was aborted: nothing was measured$/),
    ])
  })
})

describe('GitHub Actions step summary', () => {
  it('a Markdown table of the drills, the missed objectives and the evidence, appended to $GITHUB_STEP_SUMMARY', () => {
    const outcomes = [
      {drill: 'kill-primary', runs: [{...failingResult(), drill_file: KILL_PRIMARY}], verdict: 'fail' as const},
      {drill: 'db-process-crash', runs: [{...fixtureResult(), drill: 'db-process-crash', drill_file: KILL_PRIMARY}], verdict: 'pass' as const},
    ]
    const md = githubSummary(outcomes, ['/runs/a'])
    expect(md).toMatch(/^### firedrill: 1 of 2 drill\(s\) passed\n/)
    expect(md).toMatch(/^\| kill-primary \| ❌ fail \| [\d.]+ s \| 0 ms \| 0 \| 1 \|$/m)
    expect(md).toMatch(/^\| db-process-crash \| ✅ pass \|/m)
    expect(md).toContain('- **kill-primary** rto: measured')
    expect(md).toContain('- `/runs/a`')
    const summary = tmp.write('summary.md', '# earlier step\n')
    const lines = publishToGitHubActions(outcomes, [], {GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: PACKAGE_ROOT})
    expect(lines).toHaveLength(1)
    const written = readFileSync(summary, 'utf8')
    expect(written.startsWith('# earlier step\n### firedrill: 1 of 2')).toBe(true)
  })
})
