import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {ConfigError} from '../errors.js'
import {historyDbPath} from '../evidence/home.js'
import {checkOutDir} from '../evidence/bundle.js'
import {listBundles, PERIOD_FILE, writeSealedPeriodReport} from '../evidence/period-evidence.js'
import {loadPublicKey, loadSigningKey} from '../evidence/signing.js'
import {checkSigningKey, TrustStore} from '../evidence/trust.js'
import {parsePeriod} from '../history/calendar.js'
import {scheduledDrills} from '../history/drills.js'
import {periodReport} from '../history/period.js'
import {REPORTERS} from '../report/reporters.js'
import {renderPeriodHtml, renderPeriodMarkdown} from '../report/period.js'
import {HistoryStore} from '../history/store.js'
import {renderHtml} from '../report/html.js'
import {renderJunit} from '../report/junit.js'
import {renderMarkdown} from '../report/markdown.js'
import {loadRunReport} from '../evidence/load-report.js'
import {drillSummary, verdictTable} from '../report/table.js'

const FILE_NAMES: Record<string, string> = {table: 'report.txt', json: 'result.json', junit: 'junit.xml', markdown: 'report.md', html: 'report.html'}
/** Inside a signed period report: period.json is what evidence verify reads. */
const PERIOD_FILE_NAMES: Record<string, string> = {markdown: 'report.md', html: 'report.html'}

export default class Report extends BaseCommand<typeof Report> {
  static override summary = 'Render a run\'s report from its evidence bundle alone, or the auditor\'s summary of a period.'
  static override description = `With RUN (a run directory or a tar.gz from evidence pack): verifies the bundle and renders it with each
--reporter; a bundle that does not verify still renders, with the problems shown at the top.
With --period (2026, 2026-H2, 2026-Q4, 2026-11, or 2026-10-01..2026-12-31): the summary of that period from the
history: drills due and run, pass/fail, objectives against measured, failures with their follow-up notes,
drills due and not run, and each run's evidence bundle with its manifest's SHA-256 and signer (--reporter
markdown, html or json). With --key and --out DIR the period report is evidence itself: DIR holds the reports,
period.json and VERIFY.md, sealed and signed as a run's bundle is; firedrill evidence verify DIR checks it,
and with --bundles, that each bundle it lists is the one it names and is intact.

One reporter and no --out: the report goes to stdout. Several reporters: --out is a directory.

Exit codes:
${BaseCommand.exitCodeHelp}`
  static override examples = [
    '<%= config.bin %> report .firedrill/runs/20261123T101500Z-1a2b3c --reporter html --out kill-primary.html',
    '<%= config.bin %> report run.tar.gz --reporter junit,markdown,html --out reports/',
    '<%= config.bin %> report --period 2026-Q4 --reporter html --out q4.html',
    '<%= config.bin %> report --period 2026-Q4 --reporter markdown,html --key ops.key --out q4-report/',
  ]
  static override args = {
    run: Args.string({description: 'Run directory or tar.gz.'}),
  }
  static override flags = {
    reporter: Flags.string({char: 'r', description: 'Reporters, comma-separated.', options: [...REPORTERS], multiple: true, delimiter: ',', default: ['markdown']}),
    out: Flags.string({char: 'o', description: 'File (one reporter) or directory (several) to write to.'}),
    pub: Flags.string({description: "The signer's public key (PEM) to check the bundle's signature against."}),
    period: Flags.string({description: 'Report on a period from the history instead of one run.'}),
    key: Flags.string({description: 'With --period: sign the report (an Ed25519 private key, PEM) and write it, sealed like a bundle, into the new directory --out.', dependsOn: ['period', 'out']}),
    drills: Flags.string({description: 'Drill files or directories the period report holds to their frequency (default: ./drills, else the shipped drills).', multiple: true, default: []}),
    store: Flags.string({description: 'History store (default: $FIREDRILL_HOME/history.sqlite, .firedrill/history.sqlite).'}),
  }

  async run(): Promise<unknown> {
    const {args} = await this.parse(Report)
    const reporters = this.flags.reporter as string[]
    if ((args.run === undefined) === (this.flags.period === undefined)) {
      throw new ConfigError([{file: 'report', field: args.run ? '--period' : 'RUN', message: 'give either a run directory (or tar.gz) or --period, not both and not neither'}])
    }
    const outputs = new Map<string, string>()
    let json: unknown
    if (this.flags.period) {
      const period = parsePeriod(this.flags.period)
      // A signed report is checked before anything is read: the key (not revoked), and --out new and writable.
      const key = this.flags.key === undefined ? undefined : loadSigningKey(this.flags.key)
      const warnings = key ? checkSigningKey(key) : []
      if (key) checkOutDir(this.flags.out!)
      const store = HistoryStore.open(this.flags.store ?? historyDbPath())
      try {
        const p = periodReport(store, scheduledDrills(this.flags.drills), period)
        p.evidence = listBundles(p.runs, store.removals())
        json = p
        for (const r of reporters) {
          if (r === 'markdown') outputs.set(r, renderPeriodMarkdown(p))
          else if (r === 'html') outputs.set(r, renderPeriodHtml(p))
          else if (r === 'json') outputs.set(r, `${JSON.stringify(p, null, 2)}\n`)
          else throw new ConfigError([{file: 'report', field: '--reporter', message: `${r} is not available for a period report; use markdown, html or json`}])
        }
        // A report written out is one an auditor may rely on later: evidence prune keeps the bundles it lists while it exists.
        if (this.flags.out) {
          store.recordPeriodReport({at: p.generated_at, period: p.period.label, path: path.resolve(this.flags.out), signed: key !== undefined, runs: p.evidence.map((e) => ({run_id: e.run_id, manifest_sha256: e.manifest_sha256}))})
        }
        if (key) {
          // period.json (what evidence verify reads) is always there; the other reporters beside it.
          outputs.delete('json')
          const rendered = new Map([...outputs].map(([r, text]) => [PERIOD_FILE_NAMES[r]!, text]))
          const sealed = writeSealedPeriodReport(this.flags.out!, p, rendered, key)
          for (const w of warnings) this.warn(w)
          const runsDir = path.dirname(p.evidence.find((e) => e.bundle)?.bundle ?? path.join(historyDbPath(), '..', 'runs', 'x'))
          this.log(`Signed period report ${path.resolve(sealed.dir)} (${sealed.files} files, key ${key.keyid}${key.name ? ` (${key.name})` : ''}); check it and the bundles it lists with: firedrill evidence verify ${sealed.dir} --bundles ${runsDir}`)
          return {...p, written: Object.fromEntries([PERIOD_FILE, ...rendered.keys()].map((f) => [f, path.resolve(sealed.dir, f)]))}
        }
      } finally {
        store.close()
      }
    } else {
      const report = loadRunReport(args.run!, {trustedKey: this.flags.pub ? loadPublicKey(this.flags.pub) : undefined, trust: TrustStore.load()})
      const {samples: _samples, ...result} = report.result
      json = {...result, signature: report.signature, integrity: report.integrity}
      for (const r of reporters) {
        if (r === 'table') {
          const outcome = {drill: report.result.drill, runs: [report.result], verdict: report.result.verdict}
          outputs.set(r, `${verdictTable([outcome])}\n${drillSummary(outcome)}\n`)
        }
        else if (r === 'json') outputs.set(r, `${JSON.stringify(json, null, 2)}\n`)
        else if (r === 'junit') outputs.set(r, renderJunit([report]))
        else if (r === 'markdown') outputs.set(r, renderMarkdown(report))
        else outputs.set(r, renderHtml(report))
      }
    }
    const written: Record<string, string> = {}
    if (this.flags.out) {
      const single = outputs.size === 1
      if (!single) mkdirSync(this.flags.out, {recursive: true})
      for (const [r, text] of outputs) {
        const file = single ? this.flags.out : path.join(this.flags.out, FILE_NAMES[r]!)
        mkdirSync(path.dirname(path.resolve(file)), {recursive: true})
        writeFileSync(file, text)
        written[r] = path.resolve(file)
      }
      this.log(Object.entries(written).map(([r, f]) => `${r} report ${f}`).join('\n'))
    } else if (!this.jsonEnabled()) {
      process.stdout.write([...outputs.values()].join('\n'))
    }
    return {...(json as object), written}
  }
}
