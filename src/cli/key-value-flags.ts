import {ConfigError} from '../errors.js'

/** Repeatable `KEY=VALUE` flags (`--site SERVICE=SITE`, `--env NAME=VALUE`) as a record; a malformed one is exit 2. */
export function keyValueFlags(values: readonly string[], flag: string, shape: string, file: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const value of values) {
    const eq = value.indexOf('=')
    if (eq <= 0) throw new ConfigError([{file, field: flag, message: `"${value}" is not ${shape}`}])
    out[value.slice(0, eq)] = value.slice(eq + 1)
  }
  return out
}
