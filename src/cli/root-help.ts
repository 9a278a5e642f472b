/**
 * The root help (`firedrill`, `firedrill --help`), rendered here and only here, for both ways it is
 * reached: bin/run.js prints it from package.json and oclif.manifest.json without loading oclif
 * (start-up is measured: bench/startup.js), and the help class oclif loads (cli/help.ts) prints it
 * from oclif's own view of the commands and topics. Tests check that both print what @oclif/core 5's
 * stock Help prints (test/unit/root-help.test.ts at every width from 12 to 160 columns;
 * test/commands/cli.test.ts with the built CLI, with and without colour).
 *
 * The layout is oclif's (`Help.showRootHelp`, `RootHelp`, `HelpFormatter.renderList`): the summary,
 * VERSION, USAGE, DESCRIPTION (the description's lines after the first), TOPICS and COMMANDS, lists
 * in two columns wrapped to the terminal width, or one entry per paragraph when a column would wrap
 * to more than five lines. Text is measured in code points (oclif measures display width; they
 * differ only for wide characters, which firedrill's texts do not use).
 *
 * Colour is Node's decision for stdout (NO_COLOR, FORCE_COLOR, a terminal or not): bold headers, as
 * oclif without a theme. A theme a user puts in oclif's config directory (theme.json) is not applied
 * to the root help; one in package.json leaves the root help to oclif (see ownsRootHelp).
 *
 * Uses nothing but Node's own modules: it runs before oclif is loaded. It takes them with
 * process.getBuiltinModule, which hands over the module Node has already loaded, where an ESM import
 * of node:fs or node:util builds a facade of every export first (about 2.5 ms each, measured).
 */
const {readFileSync} = process.getBuiltinModule('node:fs')
const {stripVTControlCharacters, styleText} = process.getBuiltinModule('node:util')

/** One line of TOPICS or COMMANDS. */
export interface HelpEntry {
  name: string
  summary?: string
}

export interface RootHelpContent {
  bin: string
  /** package.json's oclif.description or description: the first line leads, the rest is DESCRIPTION. */
  description: string
  /** name/version platform-arch node-version, as `--version` prints it. */
  userAgent: string
  /** Top-level topics, sorted. */
  topics: HelpEntry[]
  /** Top-level commands, sorted. */
  commands: HelpEntry[]
}

export interface RootHelpStyle {
  /** Columns to wrap at (oclif's maxWidth). */
  width: number
  /** Bold section headers. */
  color: boolean
}

/** The parts of package.json root help reads. */
export interface PackageJson {
  name: string
  version: string
  description?: string
  helpOptions?: unknown
  oclif: {
    bin?: string
    description?: string
    helpOptions?: unknown
    state?: string
    theme?: unknown
    plugins?: string[]
    topics?: Record<string, TopicDeclaration>
  }
}

interface TopicDeclaration {
  description?: string
  hidden?: boolean
  subtopics?: Record<string, TopicDeclaration>
}

/** The parts of oclif.manifest.json root help reads. */
export interface Manifest {
  version: string
  commands: Record<string, {id: string; summary?: string; description?: string; hidden?: boolean; aliases?: string[]; hiddenAliases?: string[]}>
}

/**
 * Whether this module renders the root help. It renders oclif's default layout; a package.json that
 * changes it (helpOptions: `all`, `sections`, `usageHeader`...; a `state` line; a theme) leaves root
 * help to oclif.
 */
export function ownsRootHelp(pjson: PackageJson): boolean {
  const {oclif} = pjson
  return oclif.helpOptions === undefined && pjson.helpOptions === undefined && oclif.state === undefined && oclif.theme === undefined
}

export function renderRootHelp(content: RootHelpContent, style: RootHelpStyle): string {
  const f = new Formatter(style)
  const [summary = '', ...rest] = content.description.split('\n')
  const root = [
    summary,
    f.section('VERSION', f.wrap(content.userAgent)),
    f.section('USAGE', f.wrap(`$ ${content.bin} [COMMAND]`)),
    rest.join('\n') && f.section('DESCRIPTION', f.wrap(rest.join('\n'))),
  ].filter(Boolean)
  const blocks = [root.join('\n\n')]
  if (content.topics.length > 0) {
    blocks.push(f.section('TOPICS', f.list(content.topics.map((t) => [t.name, t.summary]))))
  }
  if (content.commands.length > 0) {
    blocks.push(f.section('COMMANDS', f.list(content.commands.map((c) => [c.name, c.summary && stripVTControlCharacters(c.summary)]))))
  }
  return blocks.map((b) => `${b}\n\n`).join('')
}

/** Columns for help, as oclif reckons them: OCLIF_COLUMNS, else the terminal's width (at least 40), else 80. */
export function helpWidth(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const columns = Number.parseInt(env.OCLIF_COLUMNS ?? '', 10)
  if (columns) return columns
  if (!stream.isTTY) return 80
  const [width = 0] = stream.getWindowSize()
  if (width < 1) return 80
  return Math.max(width, 40)
}

/** Node's own answer for the stream (NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR, TERM=dumb, a terminal or not). */
export function helpColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return styleText('bold', 'x', {stream}) !== 'x'
}

/**
 * The root help computed from package.json and oclif.manifest.json the way oclif's Config computes
 * commands and topics (explicit topics, plus one per command-id prefix described by its first
 * command), or undefined when that would take more than these two files: no manifest or one of
 * another version (oclif then warns or reads the commands themselves), plugins, command aliases,
 * a layout this module does not render, or EJS templates in a text shown.
 */
export function rootHelpContentFromFiles(pjson: PackageJson, manifestFile: URL, userAgent: string): RootHelpContent | undefined {
  if (!ownsRootHelp(pjson) || (pjson.oclif.plugins ?? []).length > 0) return undefined
  let manifest: Manifest
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
  } catch {
    return undefined
  }
  if (manifest.version !== pjson.version) return undefined
  const commands = Object.values(manifest.commands)
  if (commands.some((c) => (c.aliases ?? []).length > 0 || (c.hiddenAliases ?? []).length > 0)) return undefined

  const topics = new Map<string, {name: string; description?: string; hidden?: boolean}>()
  const declare = (declared: Record<string, TopicDeclaration> | undefined, base: string): void => {
    for (const [name, t] of Object.entries(declared ?? {})) {
      topics.set(`${base}${name}`, {name: `${base}${name}`, description: t.description, hidden: t.hidden})
      declare(t.subtopics, `${base}${name}:`)
    }
  }
  declare(pjson.oclif.topics, '')
  for (const c of commands.filter((c) => !c.hidden)) {
    const parts = c.id.split(':')
    for (; parts.length > 0; parts.pop()) {
      const name = parts.join(':')
      if (!topics.has(name)) topics.set(name, {name, description: c.summary || c.description})
    }
  }
  const all = [...topics.values()]
  const rootTopics = all
    .filter((t) => !t.hidden && !t.name.includes(':') && all.some((sub) => sub.name.includes(`${t.name}:`)))
    .map((t) => ({name: t.name, summary: t.description?.split('\n', 1)[0]}))
  const rootCommands = commands
    .filter((c) => !c.hidden && c.id && !c.id.includes(':'))
    .map((c) => ({name: c.id, summary: (c.summary || c.description)?.split('\n', 1)[0]}))
  const description = pjson.oclif.description || pjson.description || ''
  const shown = [description, ...[...rootTopics, ...rootCommands].map((e) => e.summary ?? '')]
  if (shown.some((text) => text.includes('<%'))) return undefined
  return {
    bin: pjson.oclif.bin || pjson.name,
    description,
    userAgent,
    topics: rootTopics.sort(byName),
    commands: rootCommands.sort(byName),
  }
}

function byName(a: HelpEntry, b: HelpEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** oclif's HelpFormatter (section, renderList, wrap), for plain text. */
class Formatter {
  constructor(private readonly style: RootHelpStyle) {}

  section(header: string, body: string): string {
    return `${this.style.color ? styleText('bold', header, {validateStream: false}) : header}\n${indent(body, 2)}`
  }

  /** Wrap to the width less `spacing` columns (the indentation the text will get). */
  wrap(body: string, spacing = 2): string {
    return wrap(body, this.style.width - spacing)
  }

  /** Names and summaries in two columns, or one entry per paragraph when a summary would take more than five lines. */
  list(rows: [string, string | undefined][], indentation = 2): string {
    const widest = Math.max(...rows.map(([left]) => Math.max(...left.split('\n').map(width))))
    const lines: string[] = []
    for (const [left, right] of rows) {
      if (!right) {
        lines.push(left.trim())
        continue
      }
      const [first = '', ...more] = this.wrap(right.trim(), indentation + widest + 2)
        .split('\n')
        .map((s) => s.trim())
      if (more.length > 4) return this.paragraphs(rows, indentation)
      let line = `${left}${' '.repeat(widest - width(left) + 2)}${first}`
      if (more.length > 0) line += `\n${indent(more.join('\n'), widest + 2)}`
      lines.push(line)
    }
    return lines.join('\n').trim()
  }

  private paragraphs(rows: [string, string | undefined][], indentation: number): string {
    let output = ''
    for (const [left, right] of rows) {
      if (!left && !right) continue
      if (left) output += this.wrap(left.trim(), indentation)
      if (right) output += `\n${indent(this.wrap(right.trim(), indentation + 2), 4)}`
      output += '\n\n'
    }
    return output.trim()
  }
}

function width(text: string): number {
  return [...text].length
}

/** Indent every line that is not blank. */
function indent(text: string, spaces: number): string {
  return text.replace(/^(?!\s*$)/gm, ' '.repeat(spaces))
}

/** Word-wrap each line to `columns`, breaking words longer than a line (wrap-ansi's hard mode, with its trimming). */
export function wrap(text: string, columns: number): string {
  return text
    .normalize()
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => wrapLine(line, columns))
    .join('\n')
}

function wrapLine(line: string, columns: number): string {
  if (line.trim() === '') return ''
  const rows = ['']
  for (const [index, word] of line.split(' ').entries()) {
    rows[rows.length - 1] = rows.at(-1)!.trimStart()
    let rowLength = width(rows.at(-1)!)
    if (index !== 0 && rowLength > 0) {
      rows[rows.length - 1] += ' '
      rowLength++
    }
    const length = width(word)
    if (length > columns) {
      // A word longer than a line starts on a new line when that breaks it fewer times.
      const breaksHere = 1 + Math.floor((length - (columns - rowLength) - 1) / columns)
      const breaksOnNext = Math.floor((length - 1) / columns)
      if (breaksOnNext < breaksHere) rows.push('')
      breakWord(rows, word, columns)
      continue
    }
    if (rowLength + length > columns && rowLength > 0 && length > 0) rows.push('')
    rows[rows.length - 1] += word
  }
  return rows.map((row) => row.replace(/ +$/, '')).join('\n')
}

function breakWord(rows: string[], word: string, columns: number): void {
  const characters = [...word]
  let visible = width(rows.at(-1)!)
  for (const [index, character] of characters.entries()) {
    if (visible + 1 <= columns) {
      rows[rows.length - 1] += character
    } else {
      rows.push(character)
      visible = 0
    }
    visible++
    if (visible === columns && index < characters.length - 1) {
      rows.push('')
      visible = 0
    }
  }
}
