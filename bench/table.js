#!/usr/bin/env node
// Markdown tables of a combined results file, for bench/README.md.
//   node bench/table.js bench/results/<date>.json
import {readFileSync} from 'node:fs'

const file = process.argv[2]
if (!file) throw new Error('usage: node bench/table.js bench/results/<date>.json')
const r = JSON.parse(readFileSync(file, 'utf8'))
const b = r.benchmarks ?? {}
const out = []
const ms = (x) => (x === null || x === undefined ? '–' : `${Math.round(x)} ms`)
const s = (x) => (x === null || x === undefined ? '–' : `${(x / 1000).toFixed(2)} s`)
const loadOf = (x) => (x ? `1-min load ${x.load_before.loadavg[0]}→${x.load_after.loadavg[0]}, ${x.load_before.running_containers}→${x.load_after.running_containers} containers running` : '')
const cmd = (x) => (x?.command ?? '').replace(/ --out \S+/, '')

out.push(`Run: \`${r.command}\`, ${r.date.slice(0, 16).replace('T', ' ')} UTC; ${r.machine.cpus} × ${r.machine.cpu_model}, ${r.machine.mem_gib} GiB; Docker ${r.machine.engine}; Node ${r.machine.node}.`, '')

if (r.rto_accuracy) {
  const x = b['rto-accuracy']
  out.push(`**RTO against a freeze of D s** (\`${cmd(x)}\`; probe timeout ${x?.method?.probe_timeout_ms} ms, stable_samples ${x?.method?.stable_samples}; ${loadOf(x)}). Error = recovery instant − start of the unpause call.`, '')
  out.push('| D | interval | runs | mean \\|error\\| | max \\|error\\| | target (interval + 20 ms) | signed error median (min..max) | from the unpause call\'s end, median | unpause call, median | detect lag, median |')
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const row of r.rto_accuracy) {
    out.push(
      `| ${row.outage_ms / 1000} s | ${row.interval_ms} ms | ${row.runs}${row.failed_runs ? ` (+${row.failed_runs})` : ''} | ${ms(row.mean_abs_error_ms)} | ${ms(row.max_abs_error_ms)} | ${row.within_target ? 'met' : `missed (${row.target_ms} ms)`} | ${ms(row.error_ms.median)} (${ms(row.error_ms.min)}..${ms(row.error_ms.max)}) | ${ms(row.error_after_unpause_ms?.median)} | ${ms(row.unpause_call_ms.median)} | ${ms(row.detect_lag_ms.median)} |`,
    )
  }
  out.push('')
}
if (r.rpo_accuracy) {
  const x = b['rpo-accuracy']
  out.push(`**RPO against exactly M lost acknowledged writes** (\`${cmd(x)}\`; probe interval ${x?.method?.probe_interval_ms} ms; ${loadOf(x)}).`, '')
  out.push('| expected lost | reported lost | runs | exact (count and sequence numbers, against the gate\'s record) | RPO median | RPO − ack of the first lost (definition) | RPO − server time of the first lost |')
  out.push('| --- | --- | --- | --- | --- | --- | --- |')
  for (const row of r.rpo_accuracy) {
    out.push(`| ${row.expected_lost} | ${[].concat(row.reported_lost).join(', ')} | ${row.runs} | ${row.exact ? 'yes' : 'NO'} | ${ms(row.rpo_ms.median)} | ${row.rpo_minus_expected_ms.min}..${row.rpo_minus_expected_ms.max} ms | ${row.rpo_minus_server_ms.min}..${row.rpo_minus_server_ms.max} ms |`)
  }
  out.push('')
}
out.push('| benchmark | command | n | median | spread (min..max) | ratio / notes |', '| --- | --- | --- | --- | --- | --- |')
const st = b.startup
if (st) {
  out.push(`| start-up: \`node -e 0\` | \`${cmd(st)}\` | ${st.runs} | ${ms(st.ms['node -e 0'].median)} | ${ms(st.ms['node -e 0'].min)}..${ms(st.ms['node -e 0'].max)} | ${loadOf(st)} |`)
  out.push(`| start-up: \`firedrill --version\` | | ${st.runs} | ${ms(st.ms['firedrill --version'].median)} | ${ms(st.ms['firedrill --version'].min)}..${ms(st.ms['firedrill --version'].max)} | ${st.version_ratio}x |`)
  out.push(`| start-up: \`firedrill --help\` | | ${st.runs} | ${ms(st.ms['firedrill --help'].median)} | ${ms(st.ms['firedrill --help'].min)}..${ms(st.ms['firedrill --help'].max)} | ${st.help_ratio}x (startup_ratio = ${st.startup_ratio}) |`)
}
const c = b['compose-vs-up']
if (c) {
  out.push(`| \`firedrill up\` to healthy | \`${cmd(c)}\` | ${c.runs} | ${s(c.ms.firedrill_up_ms.median)} | ${s(c.ms.firedrill_up_ms.min)}..${s(c.ms.firedrill_up_ms.max)} | compose_ratio ${c.compose_ratio}; creating took ${ms(c.ms.firedrill_created_ms?.median)}; ${loadOf(c)} |`)
  out.push(`| docker-compose up -d + readiness loop | | ${c.runs} | ${s(c.ms.compose_up_ms.median)} | ${s(c.ms.compose_up_ms.min)}..${s(c.ms.compose_up_ms.max)} | \`up -d\` returned after ${s(c.ms.compose_up_d_returned_ms.median)} |`)
  out.push(`| \`firedrill down\` | | ${c.runs} | ${s(c.ms.firedrill_down_ms.median)} | ${s(c.ms.firedrill_down_ms.min)}..${s(c.ms.firedrill_down_ms.max)} | teardown ratio ${c.teardown_ratio} |`)
  out.push(`| docker-compose down -v --timeout 0 | | ${c.ms.compose_down_kill_ms.n} | ${s(c.ms.compose_down_kill_ms.median)} | ${s(c.ms.compose_down_kill_ms.min)}..${s(c.ms.compose_down_kill_ms.max)} | graceful \`down -v\` once: ${s(c.compose_down_graceful_ms)} |`)
}
const rc = b['runner-cost']
if (rc) {
  for (const row of rc.runner_cost) {
    out.push(
      `| runner cost, ${row.hz} Hz, ${row.long.drill_s} s drill | \`${cmd(rc)}\` | 1 | ${row.long.cpu_s} CPU s, peak RSS ${row.long.peak_rss_mib} MiB | 5 s drill: ${row.short.cpu_s} CPU s, ${row.short.peak_rss_mib} MiB | ${(row.long.cpu_share * 100).toFixed(1)}% of one core over ${row.long.wall_s} s; ${row.cpu_s_per_probing_s} CPU s per second of probing; ${row.long.samples} samples |`,
    )
  }
}
const sc = b.scale
if (sc) {
  for (const row of sc.scale) {
    out.push(
      `| scale: ${row.sites} sites × ${row.services_per_site} (${row.containers} containers, ${row.networks} networks) | \`${cmd(sc)}\` | ${row.runs} | ${row.error ? 'did not fit' : `up ${s(row.up_ms.median)}, down ${s(row.down_ms.median)}`} | ${row.error ? '' : `up ${s(row.up_ms.min)}..${s(row.up_ms.max)}`} | ${row.error ? row.error.replace(/\|/g, '/').slice(0, 160) : row.subnets ? `subnets: /24s of ${row.subnets}` : ''} |`,
    )
  }
}
const su = b.suite
if (su) {
  out.push(`| suite: \`firedrill run drills/ --ci --json\` | \`${cmd(su)}\` | 1 | ${su.suite_wall_s} s | | drills ${su.in_drills_s} s, the rest (up, down, evidence) ${su.overhead_s} s; exit ${su.exit_code}; ${loadOf(su)} |`)
  for (const d of su.drills) out.push(`| suite: ${d.drill} | | 1 | ${d.duration_s} s | | ${d.verdict}${d.rto_ms !== null ? `, RTO ${s(d.rto_ms)}` : ''}${d.lost_writes !== null ? `, ${d.lost_writes} lost` : ''} |`)
}
console.log(out.join('\n'))
