import {format} from 'node:util'

import {Config} from '@oclif/core/config'
import {Help} from '@oclif/core/help'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import FiredrillHelp from '../../src/cli/help.js'
import {type Manifest, type PackageJson, renderRootHelp, rootHelpContentFromFiles, wrap} from '../../src/cli/root-help.js'
import {tempDir} from '../support/files.js'

// A made-up CLI with what oclif's root help has to handle: a multi-line description, declared topics
// (one hidden, one nested), topics implied by command ids, hidden commands, a command with no summary,
// summaries long enough to wrap, a word longer than a narrow line.
const PJSON: PackageJson = {
  name: 'acme',
  version: '1.2.3',
  description: 'Do acme things to the widgets of a fleet, from one place.\nSecond line of the description, long enough to be wrapped on a narrow terminal.',
  oclif: {
    bin: 'acme',
    topics: {
      fleet: {description: 'Fleets of widgets.\nMore about fleets.', subtopics: {deep: {description: 'Nested topic.'}}},
      secret: {description: 'Not shown.', hidden: true},
      lonely: {description: 'A declared topic with no command: not listed.'},
    },
  },
}
const command = (id: string, c: {summary?: string; description?: string; hidden?: boolean} = {}) => ({
  id,
  aliases: [],
  hiddenAliases: [],
  args: {},
  flags: {},
  pluginName: 'acme',
  pluginType: 'core',
  isESM: true,
  relativePath: ['dist', 'commands', ...id.split(':')],
  ...c,
})
const MANIFEST: Manifest = {
  version: '1.2.3',
  commands: {
    deploy: command('deploy', {summary: 'Deploy the widgets to every site of the fleet at once, waiting until each reports healthy and rolling back any that do not.'}),
    audit: command('audit', {description: 'Audit everything.\nThe second line is not a summary.'}),
    bare: command('bare'),
    hidden: command('hidden', {summary: 'Never listed.', hidden: true}),
    'fleet:list': command('fleet:list', {summary: 'List fleets.'}),
    'fleet:deep:dive': command('fleet:deep:dive', {summary: 'Deep.'}),
    'widgets:spin': command('widgets:spin', {summary: 'Spin a widget: supercalifragilisticexpialidocious-and-then-some.'}),
    'widgets:stop': command('widgets:stop', {summary: 'Stop a widget.'}),
    'secret:thing': command('secret:thing', {summary: 'Hidden topic, visible command.'}),
  },
}

let tmp: ReturnType<typeof tempDir>
let config: Config
beforeAll(async () => {
  tmp = tempDir()
  tmp.write('package.json', JSON.stringify({...PJSON, type: 'module', oclif: {...PJSON.oclif, commands: './dist/commands', topicSeparator: ' '}}))
  tmp.write('oclif.manifest.json', JSON.stringify(MANIFEST))
  config = await Config.load(tmp.dir)
})
afterAll(() => tmp.cleanup())

/** What a help class prints as the root help at `width` columns. */
async function printed(HelpClass: typeof Help, width: number): Promise<string> {
  let out = ''
  const help = new (class extends HelpClass {
    override log(...args: string[]): void {
      out += `${format(...args)}\n`
    }
  })(config, {maxWidth: width})
  await help.showHelp([])
  return out
}

function ours(width: number): string {
  const content = rootHelpContentFromFiles(PJSON, new URL(`file://${tmp.dir}/oclif.manifest.json`), config.userAgent)
  expect(content).toBeDefined()
  return renderRootHelp(content!, {width, color: false})
}

describe('root help', () => {
  it('is what oclif stock Help prints, at every width from 12 to 160 columns (two columns, paragraphs, broken words)', async () => {
    for (let width = 12; width <= 160; width++) {
      const stock = await printed(Help, width)
      expect(ours(width), `${width} columns`).toBe(stock)
      expect(await printed(FiredrillHelp, width), `${width} columns`).toBe(stock)
    }
  })

  it('lists visible top-level topics and commands only, each with the first line of its summary', () => {
    const text = ours(200)
    expect(text).toContain('DESCRIPTION\n  Second line of the description')
    expect(text).toMatch(/TOPICS\n {2}fleet {4}Fleets of widgets\.\n {2}widgets {2}Spin a widget/)
    expect(text).not.toMatch(/secret|lonely|hidden|Never listed|deep/)
    expect(text).toMatch(/COMMANDS\n {2}audit {3}Audit everything\.\n {2}bare\n {2}deploy {2}Deploy the widgets/)
  })

  it('bolds the section headers only when asked to', () => {
    const content = rootHelpContentFromFiles(PJSON, new URL(`file://${tmp.dir}/oclif.manifest.json`), 'acme/1.2.3')!
    expect(renderRootHelp(content, {width: 80, color: true})).toContain('\u001b[1mCOMMANDS\u001b[22m\n  audit')
    expect(renderRootHelp(content, {width: 80, color: false})).not.toContain('\u001b')
  })

  it('is left to oclif when the two files cannot say what oclif would', () => {
    const manifestFile = (m: object) => new URL(`file://${tmp.write('other.manifest.json', JSON.stringify(m))}`)
    const ua = 'acme/1.2.3'
    expect(rootHelpContentFromFiles(PJSON, new URL(`file://${tmp.dir}/none.json`), ua)).toBeUndefined()
    expect(rootHelpContentFromFiles(PJSON, manifestFile({...MANIFEST, version: '1.2.2'}), ua)).toBeUndefined()
    const aliased = {...MANIFEST, commands: {...MANIFEST.commands, audit: {...MANIFEST.commands.audit!, aliases: ['check']}}}
    expect(rootHelpContentFromFiles(PJSON, manifestFile(aliased), ua)).toBeUndefined()
    const templated = {...MANIFEST, commands: {...MANIFEST.commands, bare: command('bare', {summary: 'Run <%= config.bin %> bare.'})}}
    expect(rootHelpContentFromFiles(PJSON, manifestFile(templated), ua)).toBeUndefined()
    expect(rootHelpContentFromFiles({...PJSON, oclif: {...PJSON.oclif, state: 'beta'}}, manifestFile(MANIFEST), ua)).toBeUndefined()
    expect(rootHelpContentFromFiles({...PJSON, oclif: {...PJSON.oclif, helpOptions: {all: true}}}, manifestFile(MANIFEST), ua)).toBeUndefined()
    expect(rootHelpContentFromFiles({...PJSON, oclif: {...PJSON.oclif, theme: {command: 'cyan'}}}, manifestFile(MANIFEST), ua)).toBeUndefined()
    expect(rootHelpContentFromFiles({...PJSON, oclif: {...PJSON.oclif, plugins: ['@acme/plugin']}}, manifestFile(MANIFEST), ua)).toBeUndefined()
    expect(rootHelpContentFromFiles(PJSON, manifestFile(MANIFEST), ua)).toBeDefined()
  })

  it('wraps words, and breaks a word longer than a line', () => {
    expect(wrap('one two three', 7)).toBe('one two\nthree')
    // wrap-ansi's choice: fill the line when that breaks the long word no more often than starting afresh
    expect(wrap('a abcdefghij', 4)).toBe('a ab\ncdef\nghij')
    expect(wrap('abc abcdefghij', 4)).toBe('abc\nabcd\nefgh\nij')
    expect(wrap('  padded  \n\nnext', 20)).toBe('padded\n\nnext')
  })
})
