import {appendFileSync} from 'node:fs'
import path from 'node:path'

import {YamlSource} from '../config/yaml-source.js'
import type {DrillResult} from '../model/result.js'
import type {ObjectiveResult} from '../grade/grade.js'
import type {RepeatGrade} from '../grade/repeat.js'
import {formatMs} from '../config/duration.js'

/**
 * GitHub Actions conventions (https://docs.github.com/actions/reference/workflow-commands-for-github-actions):
 * an `::error file=…,line=…::` annotation for each missed objective, pointing at the line of the drill
 * file that sets it, and a Markdown summary appended to the file `$GITHUB_STEP_SUMMARY` names. Used
 * only when `GITHUB_ACTIONS=true`; elsewhere (GitLab: the JUnit report; plain logs) nothing changes.
 */

/** One drill's graded outcome, as `run` has it. */
export interface GradedDrill {
  drill: string
  runs: readonly DrillResult[]
  repeated?: RepeatGrade
  verdict: 'pass' | 'fail'
}

export function onGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true'
}

/** Escape a workflow command's message (%, CR, LF), as @actions/core does. */
function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

/** Escape a workflow command's property value (also : and ,). */
function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C')
}

const OBJECTIVE_KEYS: Record<string, string> = {rto: 'rto', rpo: 'rpo', split_brain: 'split_brain'}

/**
 * The line of the drill file an objective comes from: `objectives.rto` and the like, else the drill's
 * `tier:` (objectives from a policy), else `objectives:`; an assert's or an unfinished step's own step.
 */
export function objectiveLine(file: string, objective: string): number {
  let source: YamlSource
  try {
    source = YamlSource.read(file)
  } catch {
    return 1
  }
  const value = source.value as {objectives?: Record<string, unknown>; tier?: unknown; steps?: {assert?: unknown; title?: unknown}[]}
  const key = OBJECTIVE_KEYS[objective]
  if (key !== undefined) {
    if (value.objectives && key in value.objectives) return source.locate(['objectives'], {key}).line ?? 1
    if (value.tier !== undefined) return source.locate([], {key: 'tier'}).line ?? 1
    return source.locate([], {key: 'objectives'}).line ?? 1
  }
  const step = /^Step (\d+)\//.exec(objective)
  if (step) return source.locate(['steps', Number(step[1]) - 1]).line ?? 1
  if (objective.startsWith('assert: ')) {
    const title = objective.slice('assert: '.length)
    const index = (value.steps ?? []).findIndex((s) => s && (s.assert === title || s.title === title))
    if (index >= 0) return source.locate(['steps', index]).line ?? 1
  }
  return source.locate([], {key: 'objectives'}).line ?? 1
}

/** The objectives that decided a drill's verdict: the aggregate grade with --repeat, else the run's. */
function decisive(o: GradedDrill): ObjectiveResult[] {
  return o.repeated?.results ?? o.runs[0]?.results ?? []
}

/** One `::error` line per missed objective (and per run that did not complete), file relative to the workspace. */
export function githubAnnotations(outcomes: readonly GradedDrill[], workspace: string): string[] {
  const lines: string[] = []
  for (const o of outcomes) {
    const file = o.runs[0]?.drill_file
    if (!file) continue
    const rel = path.relative(workspace, file) || file
    const incomplete = o.runs.find((r) => r.status === 'interrupted' || r.status === 'aborted')
    if (incomplete) {
      lines.push(`::error file=${escapeProperty(rel)},line=1,title=${escapeProperty(`${o.drill}: ${incomplete.status}`)}::${escapeData(`drill ${o.drill} run ${incomplete.run_id} was ${incomplete.status}: nothing was measured`)}`)
      continue
    }
    for (const r of decisive(o)) {
      if (r.met) continue
      const title = `${o.drill}: ${r.objective} missed`
      lines.push(
        `::error file=${escapeProperty(rel)},line=${objectiveLine(file, r.objective)},title=${escapeProperty(title)}::${escapeData(`${r.objective} measured ${r.measured}, objective ${r.target}: ${r.reason}`)}`,
      )
    }
  }
  return lines
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** The step summary: one row per drill, then each missed objective, then where the evidence is. */
export function githubSummary(outcomes: readonly GradedDrill[], evidenceDirs: readonly string[] = []): string {
  const passed = outcomes.filter((o) => o.verdict === 'pass').length
  const out = [`### firedrill: ${passed} of ${outcomes.length} drill(s) passed`, '', '| drill | verdict | RTO | RPO | lost writes | runs |', '| --- | --- | --- | --- | --- | --- |']
  for (const o of outcomes) {
    const m = o.runs.length === 1 ? o.runs[0]!.measurements : undefined
    const stat = (s: {median: number} | null | undefined) => (s ? `median ${formatMs(s.median)}` : '–')
    const rto = m ? (m.rto_ms === null ? 'never recovered' : formatMs(m.rto_ms)) : stat(o.repeated?.statistics.rto_ms)
    const rpo = m ? (m.rpo_ms === null ? 'unknown' : formatMs(m.rpo_ms)) : stat(o.repeated?.statistics.rpo_ms)
    const lost = m ? String(m.lost_writes ?? '–') : o.repeated?.statistics.lost_writes ? `max ${o.repeated.statistics.lost_writes.max}` : '–'
    out.push(`| ${cell(o.drill)} | ${o.verdict === 'pass' ? '✅ pass' : '❌ fail'} | ${cell(rto)} | ${cell(rpo)} | ${cell(lost)} | ${o.runs.length} |`)
  }
  const missed = outcomes.flatMap((o) => decisive(o).filter((r) => !r.met).map((r) => `- **${cell(o.drill)}** ${cell(r.objective)}: measured ${cell(r.measured)}, objective ${cell(r.target)} (${cell(r.reason)})`))
  if (missed.length > 0) out.push('', '**Missed objectives**', '', ...missed)
  if (evidenceDirs.length > 0) out.push('', '**Evidence**', '', ...evidenceDirs.map((d) => `- \`${d}\``))
  return `${out.join('\n')}\n`
}

/** Append the summary to $GITHUB_STEP_SUMMARY when it is set; the annotation lines to print. */
export function publishToGitHubActions(outcomes: readonly GradedDrill[], evidenceDirs: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${githubSummary(outcomes, evidenceDirs)}\n`)
  return githubAnnotations(outcomes, env.GITHUB_WORKSPACE ?? process.cwd())
}
