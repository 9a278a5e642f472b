import {Flags} from '@oclif/core'

import {BaseCommand, buildArgFlag, durationFlag, parseBuildArgs, reporterFlag, topologyFlag} from '../cli/base-command.js'
import {loadProbeSet} from '../config/probe-set.js'
import {ExitCode} from '../errors.js'
import {evidenceForSweep} from '../evidence/sweep-evidence.js'
import {SWEEP_FAULTS, type SweepFaultKind, type SweepResult} from '../model/sweep.js'
import {isFileReporter, type Reporter} from '../report/reporters.js'
import {sweepTable} from '../report/sweep.js'
import {holdTopologies} from '../session/hold.js'
import {newRunId} from '../session/session.js'
import {planSweep, runSweep} from '../session/sweep.js'
import {redactedProgress} from '../util/progress.js'

export default class Sweep extends BaseCommand<typeof Sweep> {
  static override summary = 'Find every single point of failure: inject one fault per site (or per service on each site), run the probe set, measure each.'
  static override description = `For each site of the topology (with --services, each of those services on each site), inject that one
fault alone, run every probe of the topology's probe set (its probes: section, or --probes FILE), wait for
recovery up to --timeout from the fault (every cell is watched for at least --settle), revert, wait until the
topology is healthy, and go on. Each cell runs as a drill does: every fault is reverted on success, failure,
timeout, Ctrl-C and SIGTERM; after SIGKILL the crash journal and firedrill cleanup restore it.

Prints the matrix (rows the faults, columns the probes: RTO, lost writes, or "not recovered within T") and
one sentence per single point of failure, with its reason when the topology records it (depends_on): a
service that runs only on the faulted site and that the probe's service needs. A probe whose own entry
point (a service only on a witness site) went down with the site is noted, not counted.

One evidence bundle for the sweep (.firedrill/runs/<sweep id>/ or --out; signed with --key as a run's is;
firedrill evidence verify checks it), holding each cell's run bundle under cells/; each cell is in the
history (firedrill history, report --period). Reporters junit (one testcase per cell), markdown and html
(the matrix as a heat map) are written into the bundle under reports/.

Exit codes: 0 no single point of failure, 1 at least one, 2 bad input, 3 engine unreachable,
4 aborted, 130/143 interrupted (every fault reverted first).`
  static override examples = [
    '<%= config.bin %> sweep --topology fixtures/topologies/messenger-3dc/topology.yaml',
    '<%= config.bin %> sweep -t fixtures/topologies/messenger-3dc/topology.yaml --sites pangyo,gasan --reporter table,html',
    '<%= config.bin %> sweep --fault isolate --timeout 60s --settle 20s --reporter json',
    '<%= config.bin %> sweep --services auth,redis --reporter junit --key firedrill-signing.key',
  ]
  static override flags = {
    topology: topologyFlag,
    fault: Flags.option({options: SWEEP_FAULTS, description: 'The fault injected in each cell.', default: 'power-cut' as SweepFaultKind})(),
    sites: Flags.string({description: 'Only these sites, comma-separated (default: every site).', multiple: true, delimiter: ','}),
    services: Flags.string({description: 'Each of these services on each site, one at a time, instead of whole sites (power-cut only: its container is killed).', multiple: true, delimiter: ','}),
    probes: Flags.string({description: "A file holding probes: (the schema of a drill's named probes) to use instead of the topology's own probe set."}),
    settle: durationFlag({description: 'How long every cell watches after its fault before it is judged.', default: 15_000}),
    timeout: durationFlag({description: 'The bound: a probe with no stable run of successes this long after the fault is "not recovered".', default: 45_000}),
    keep: Flags.boolean({description: 'Leave the topology up afterwards.'}),
    'build-arg': buildArgFlag,
    out: Flags.string({char: 'o', description: "The sweep's evidence directory. Default: .firedrill/runs/<sweep id>."}),
    reporter: reporterFlag,
    operator: Flags.string({description: 'Who runs the sweep, for the record (default: the login name).'}),
    key: Flags.string({description: 'Ed25519 private key (PEM file) to sign the evidence with; default: $FIREDRILL_SIGNING_KEY.'}),
  }

  async run(): Promise<SweepResult & {evidence: {dir: string; files: number} | null}> {
    const {flags} = await this.parse(Sweep)
    const set = loadProbeSet(flags.topology, flags.probes)
    const opts = {fault: flags.fault, sites: flags.sites, services: flags.services, settleMs: flags.settle, boundMs: flags.timeout}
    const plan = planSweep(set, opts)
    const reporters = flags.reporter as Reporter[]
    const json = this.jsonEnabled() || reporters.includes('json')
    const sweepId = `sweep-${newRunId()}`
    const evidence = evidenceForSweep(plan.map((p) => p.loaded), {sweepId, out: flags.out, operator: flags.operator, key: flags.key, reporters: reporters.filter((r) => isFileReporter(r))})
    const progress = redactedProgress(this.progress(), (text) => evidence.redactor.text(text))
    const {result, failure} = await holdTopologies([set.topology.project], {connect: () => this.engine([set.topology]), log: progress.log}, (engine) =>
      runSweep(set, plan, {...opts, engine, progress, keep: flags.keep, buildArgs: parseBuildArgs(flags['build-arg']), sweepId, onResult: (r, loaded) => progress.phase(`Write evidence of ${r.drill}`, () => evidence.record(r, loaded, engine))}),
    )
    // Interrupted or aborted part-way: the rows done so far are sealed all the same, then the failure is reported.
    const sealed = result.rows.length > 0 || failure === undefined ? evidence.seal(result) : undefined
    const where = sealed ? `Evidence: ${sealed.dir} (${sealed.files} files)` : 'No evidence: no cell ran.'
    const warnings = evidence.warnings.map((w) => `Warning: ${w}`).join('\n')
    if (failure !== undefined) {
      process.stderr.write(`${sweepTable(result)}\n${where}\n${warnings}\n`)
      throw failure
    }
    process.exitCode = result.verdict === 'pass' ? ExitCode.Pass : ExitCode.ObjectiveMissed
    const output = {...result, evidence: sealed ? {dir: sealed.dir, files: sealed.files} : null}
    if (json) {
      if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(output)}\n`)
      if (reporters.includes('table')) process.stderr.write(`${sweepTable(result)}\n`)
      process.stderr.write(`${where}\n${warnings}\n`)
      return output
    }
    if (reporters.includes('table')) this.log(sweepTable(result))
    this.log(where)
    if (warnings) process.stderr.write(`${warnings}\n`)
    return output
  }
}
