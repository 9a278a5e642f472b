import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {IMAGE_REFERENCE, LINUX_SIGNALS, MAX_TIMER_MS} from '../../src/config/common.js'
import {loadDrill} from '../../src/config/load-drill.js'
import {loadTopology} from '../../src/config/load-topology.js'
import {ConfigError} from '../../src/errors.js'
import {DEFAULT_TOPOLOGY} from '../../src/paths.js'
import {issuesOf} from '../support/config.js'
import {MINIMAL_DRILL, tempDir, tinyPostgresTopology} from '../support/files.js'

// Values the engine, the kernel or a client would refuse mid-drill are refused when the file is read
// (exit 2 with file, line and field; nothing started). docs/DESIGN.md "Validation" lists the rules.

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

const KILL = 'fault: kill\n    target: {service: postgres, role: leader}'
const drillWithStep = (step: string) => MINIMAL_DRILL.replace(KILL, step)
const loadD = (text: string) => loadDrill(tmp.write('drill.yaml', text), {topology: DEFAULT_TOPOLOGY})
const loadT = (text: string) => loadTopology(tmp.write('topology.yaml', text))
const TINY = tinyPostgresTopology('vc')

/** The one issue loading `text` gives: its field and message (file and line are always there). */
function onlyIssue(load: (text: string) => unknown, text: string): {field: string; message: string; line?: number} {
  const issues = issuesOf(() => load(text))
  expect(issues, JSON.stringify(issues)).toHaveLength(1)
  expect(issues[0]!.file).toMatch(/\.yaml$/)
  expect(issues[0]!.line).toBeGreaterThan(0)
  return issues[0]!
}

describe('drill fields the engine or a client would refuse mid-drill', () => {
  it.each([
    ['a signal Linux does not have', `${KILL}\n    signal: SIGFOO`, 'steps[1].signal', /SIGFOO is not a Linux signal/],
    ['a process name longer than the kernel keeps', 'fault: process-kill\n    target: {service: postgres, role: leader}\n    process: postgres-checkpointer', 'steps[1].process', /at most 15 characters/],
    ['a disk-full path that goes up', 'fault: disk-full\n    target: {service: postgres, site: seoul}\n    path: /var/lib/../../etc', 'steps[1].path', /must not go up with "\.\."/],
    ['a rate of zero', 'fault: degrade\n    target: {site: seoul}\n    rate: 0mbit', 'steps[1].rate', /rate must be above zero/],
    ['a duration longer than a timer keeps', `${KILL}\n    timeout: 1000h`, 'steps[1].timeout', /at most 24 days/],
  ])('%s', (_what, step, field, message) => {
    expect(onlyIssue(loadD, drillWithStep(step))).toMatchObject({field, message: expect.stringMatching(message)})
  })

  it.each([
    ['an assert whose stdout is no regular expression', "  - assert: replica count\n    argv: [echo, '2']\n    in: host\n    expect: {stdout: '(2'}\n", 'steps[3].expect.stdout', /expect.stdout is not a valid regular expression/],
    ['a container user the engine cannot parse', '  - runbook: look\n    argv: [id]\n    in: {service: postgres, site: seoul}\n    user: "post gres"\n', 'steps[3].user', /user must be a user name or uid/],
    ['an argv whose program is empty', "  - runbook: nothing\n    argv: ['', x]\n    in: host\n", 'steps[3].argv', /the program \(its first argument\) must not be empty/],
    ['an argument holding a NUL byte', '  - runbook: nul\n    argv: [echo, "a\\0b"]\n    in: host\n', 'steps[3].argv[1]', /must not hold a NUL byte/],
  ])('%s', (_what, step, field, message) => {
    expect(onlyIssue(loadD, `${MINIMAL_DRILL}${step}`)).toMatchObject({field, message: expect.stringMatching(message)})
  })

  it('takes what the engine takes: real-time signals, uid:gid users, a regex', () => {
    expect(() => loadD(drillWithStep(`${KILL}\n    signal: SIGRTMIN+3`))).not.toThrow()
    expect(() => loadD(`${MINIMAL_DRILL}  - assert: one\n    argv: [echo, '1']\n    in: {service: postgres, site: seoul}\n    user: '999:999'\n    expect: {stdout: '^1\\s*$'}\n`)).not.toThrow()
  })
})

describe('topology fields the engine would refuse mid-up', () => {
  it.each([
    ['an image reference in upper case', TINY.replace('image: firedrill/bank-node:15', 'image: Firedrill/Bank-Node:15'), 'services.postgres.image', /is not an image reference the engine takes/],
    ['an environment variable name with "="', TINY.replace('    env:\n', '    env:\n      "A=B": x\n'), 'services.postgres.env.A=B', /"A=B": an environment variable name must not be empty or hold "="/],
    ['a host_ip that is no address', TINY.replace('    stop_timeout: 1s', '    ports: [{container: 5432, host: 15432, host_ip: localhost}]\n    stop_timeout: 1s'), 'services.postgres.ports[0].host_ip', /is not an IP address/],
    ['a volume target that goes up', TINY.replace('    stop_timeout: 1s', '    volumes: [{name: data, target: /var/../etc}]\n    stop_timeout: 1s'), 'services.postgres.volumes[0].target', /must not go up/],
    ['a container user with a space', TINY.replace('user: postgres', 'user: "postgres user"'), 'services.postgres.user', /user must be a user name or uid/],
    ['a hostname longer than 63 characters', TINY.replace('    stop_timeout: 1s', `    hostname: ${'h'.repeat(60)}-\${site}\n    stop_timeout: 1s`), 'services.postgres.hostname', /is not a DNS name a container can have/],
  ])('%s', (_what, text, field, message) => {
    expect(onlyIssue(loadT, text)).toMatchObject({field, message: expect.stringMatching(message)})
  })
})

// Generators for the rules above, as in config-fuzz.test.ts: every value on the refused side is refused
// at its field; every value on the accepted side loads.
const component = fc.stringMatching(/^[a-z0-9]{1,6}([._-][a-z0-9]{1,6}){0,2}$/)
const goodImage = fc
  .tuple(fc.option(fc.constantFrom('registry.example.com', 'localhost:5000', 'ghcr.io'), {nil: undefined}), fc.array(component, {minLength: 1, maxLength: 3}), fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/), {nil: undefined}))
  .map(([domain, path, tag]) => `${domain ? `${domain}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}`)
const badImage = fc.oneof(
  goodImage.map((ref) => ref.replace(/[a-z]/, (c) => c.toUpperCase())).filter((ref) => !IMAGE_REFERENCE.test(ref)),
  goodImage.map((ref) => `${ref} `),
  goodImage.map((ref) => `${ref}:`),
  goodImage.map((ref) => `-${ref}`),
)
const badSignal = fc.stringMatching(/^SIG[A-Z0-9]{1,8}$/).filter((s) => !(LINUX_SIGNALS as readonly string[]).includes(s) && !/^SIGRTM/.test(s))

describe('generated values on both sides of each rule', () => {
  it('image references: what the engine parses loads; the rest is refused at services.S.image', () => {
    fc.assert(fc.property(goodImage, (ref) => {
      expect(() => loadT(TINY.replace('image: firedrill/bank-node:15', `image: '${ref}'`))).not.toThrow()
    }), {numRuns: 60})
    fc.assert(fc.property(badImage, (ref) => {
      expect(onlyIssue(loadT, TINY.replace('image: firedrill/bank-node:15', `image: '${ref}'`)).field).toBe('services.postgres.image')
    }), {numRuns: 60})
  })

  it('signals: every Linux name loads; any other SIG name is refused at the step\'s signal', () => {
    fc.assert(fc.property(fc.constantFrom(...LINUX_SIGNALS), (signal) => {
      expect(() => loadD(drillWithStep(`${KILL}\n    signal: ${signal}`))).not.toThrow()
    }), {numRuns: 40})
    fc.assert(fc.property(badSignal, (signal) => {
      expect(onlyIssue(loadD, drillWithStep(`${KILL}\n    signal: ${signal}`)).field).toBe('steps[1].signal')
    }), {numRuns: 60})
  })

  it('durations: up to the longest timer load; beyond it are refused', () => {
    fc.assert(fc.property(fc.integer({min: MAX_TIMER_MS + 1, max: Number.MAX_SAFE_INTEGER}), (ms) => {
      expect(onlyIssue(loadD, MINIMAL_DRILL.replace('  - sleep: 1s', `  - sleep: ${ms}`))).toMatchObject({field: 'steps[0].sleep'})
    }), {numRuns: 40})
    fc.assert(fc.property(fc.integer({min: 0, max: 10 * 60_000}), (ms) => {
      try {
        loadD(MINIMAL_DRILL.replace('  - sleep: 1s', `  - sleep: ${ms}`))
      } catch (error) {
        // A long sleep may pass the default deadline's bounds elsewhere; never the duration rule.
        expect(error).toBeInstanceOf(ConfigError)
        expect((error as ConfigError).issues.map((i) => i.message).join()).not.toMatch(/24 days/)
      }
    }), {numRuns: 40})
  })
})

describe('volumes the engine would refuse to mount', () => {
  it('two volumes at one target, or of one name, are refused at the second', () => {
    const twice = (a: string, b: string) => TINY.replace('    stop_timeout: 1s', `    volumes:\n      - ${a}\n      - ${b}\n    stop_timeout: 1s`)
    expect(onlyIssue(loadT, twice('{name: data, target: /data}', '{name: logs, target: /data}'))).toMatchObject({field: 'services.postgres.volumes[1].target', message: 'volume target "/data" is already used by volumes[0]'})
    expect(onlyIssue(loadT, twice('{name: data, target: /data}', '{name: data, target: /logs}'))).toMatchObject({field: 'services.postgres.volumes[1].name', message: 'volume name "data" is already used by volumes[0]'})
    expect(() => loadT(twice('{name: data, target: /data}', '{name: logs, target: /logs}'))).not.toThrow()
  })
})

describe('exit statuses a process can have', () => {
  it('an expected exit outside 0-255 is refused (it could never be seen)', () => {
    expect(onlyIssue(loadD, `${MINIMAL_DRILL}  - runbook: r\n    argv: ['true']\n    in: host\n    expect_exit: 256\n`)).toMatchObject({field: 'steps[3].expect_exit', message: 'expect_exit must be an exit status, 0 to 255'})
    expect(onlyIssue(loadD, `${MINIMAL_DRILL}  - assert: a\n    argv: ['true']\n    in: host\n    expect: {exit: -1}\n`)).toMatchObject({field: 'steps[3].expect.exit', message: 'expect.exit must be an exit status, 0 to 255'})
  })
})
