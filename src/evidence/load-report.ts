import type {KeyObject} from 'node:crypto'

import {ConfigError} from '../errors.js'
import type {Environment} from '../model/evidence.js'
import type {DrillResult} from '../model/result.js'
import type {RunReport} from '../report/run-report.js'
import {parseSamplesCsv} from './csv.js'
import type {TrustStore} from './trust.js'
import {openBundle, verifyBundle} from './verify.js'

/** Read a bundle (directory or tarball), verify it, and build its report; a tampered bundle still renders, and says so. */
export function loadRunReport(source: string, opts: {trustedKey?: KeyObject; trust?: TrustStore} = {}): RunReport {
  const bundle = openBundle(source)
  const verified = verifyBundle(bundle, {trustedKey: opts.trustedKey, trust: opts.trust})
  const read = (name: string): string => {
    const data = bundle.files.get(name)
    if (!data) throw new ConfigError([{file: `${source}/${name}`, field: '', message: 'missing from the bundle: a report needs it'}])
    return data.toString('utf8')
  }
  let result: DrillResult
  let environment: Environment | null = null
  try {
    result = JSON.parse(read('result.json')) as DrillResult
    result.samples = parseSamplesCsv(read('samples.csv'))
    // Several probes: each one's samples from samples/NAME.csv (the first probe's are samples.csv as well).
    if (result.probes && result.probes.length > 1) for (const p of result.probes) p.samples = parseSamplesCsv(read(`samples/${p.name}.csv`))
    else if (result.probes?.length === 1) result.probes[0]!.samples = result.samples
    if (bundle.files.has('environment.json')) environment = JSON.parse(read('environment.json')) as Environment
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError([{file: source, field: '', message: `unreadable bundle: ${(error as Error).message}`}])
  }
  return {
    result,
    environment,
    signature: {state: verified.signature.state, keyid: verified.signature.keyid, name: verified.signature.name, detail: verified.signature.detail},
    integrity: {ok: verified.ok, problems: verified.problems},
    bundle: source,
  }
}
