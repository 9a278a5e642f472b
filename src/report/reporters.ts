/**
 * Every reporter, named in one place. `table` and `json` print to stdout; `junit`, `markdown` and
 * `html` are files (in the evidence bundle under reports/ for `run`, or where `report --out` says).
 */
export const REPORTERS = ['table', 'json', 'junit', 'markdown', 'html'] as const
export type Reporter = (typeof REPORTERS)[number]

export const FILE_REPORTERS = ['junit', 'markdown', 'html'] as const satisfies readonly Reporter[]
export type FileReporter = (typeof FILE_REPORTERS)[number]

export function isFileReporter(r: string): r is FileReporter {
  return (FILE_REPORTERS as readonly string[]).includes(r)
}
