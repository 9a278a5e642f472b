import {Help} from '@oclif/core/help'
import {stripVTControlCharacters} from 'node:util'

import {helpColor, ownsRootHelp, type PackageJson, renderRootHelp} from './root-help.js'

/**
 * oclif's help (package.json `oclif.helpClass`), except that the root help is rendered by
 * root-help.ts from oclif's own list of commands and topics: the text bin/run.js prints for
 * `firedrill --help` without loading oclif, so the two cannot drift apart.
 */
export default class FiredrillHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    if (!ownsRootHelp(this.config.pjson as unknown as PackageJson)) return super.showRootHelp()
    const topics = this.sortedTopics
      .filter((t) => !t.name.includes(':'))
      .map((t) => ({name: t.name, summary: t.description && this.render(t.description.split('\n', 1)[0]!)}))
    const commands = this.sortedCommands
      .filter((c) => c.id && !c.id.includes(':'))
      .map((c) => ({name: c.id, summary: stripVTControlCharacters(this.summary(c) ?? '')}))
    const {pjson} = this.config
    const text = renderRootHelp(
      {bin: this.config.bin, description: this.render(pjson.oclif.description || pjson.description || ''), userAgent: this.config.userAgent, topics, commands},
      {width: this.opts.maxWidth ?? 80, color: helpColor()},
    )
    this.log(text.replace(/\n$/, ''))
  }
}
