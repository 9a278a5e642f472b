import {Header, PackSync, Parser, ReadEntry} from 'tar'

/**
 * Evidence tarballs through node-tar (`tar` on npm, the npm CLI's own; pure JS): pax headers for long
 * paths, gzip, and a strict parser. Both directions work on bytes in memory, so what is packed is exactly
 * what was verified, and a tarball being verified is never extracted to disk.
 */
export interface TarEntry {
  path: string
  data: Buffer
}

/** A gzip'd tar of regular files, each 0644 and owned by nobody in particular (portable), all with one mtime. */
export function packTarGz(entries: readonly TarEntry[], mtime: Date): Buffer {
  const pack = new PackSync({gzip: {level: 9}, portable: true})
  const chunks: Buffer[] = []
  pack.on('data', (c: Buffer) => chunks.push(c))
  for (const e of entries) {
    const entry = new ReadEntry(new Header({path: e.path, mode: 0o644, size: e.data.length, mtime, type: 'File', uid: 0, gid: 0}))
    entry.end(e.data)
    pack.add(entry)
  }
  pack.end()
  return Buffer.concat(chunks)
}

/** Why an entry is refused: evidence holds regular files (and, from other tools, directories) under one root, nothing else. */
function refusal(path: string, type: string): string | undefined {
  if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile' && type !== 'Directory') return `entry ${path} is a ${type}; an evidence tarball holds regular files only (links are refused)`
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return `entry ${path} is an absolute path`
  if (path.split(/[/\\]/).includes('..')) return `entry ${path} climbs out of the bundle (..)`
  return undefined
}

/** The regular files of a gzip'd (or plain) tar; throws, naming the entry, on a link, an absolute path or `..`, and on a damaged archive. */
export function unpackTarGz(gz: Buffer): TarEntry[] {
  const entries: TarEntry[] = []
  const problems: string[] = []
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      const why = refusal(entry.path, entry.type)
      if (why) {
        problems.push(why)
        entry.resume()
        return
      }
      if (entry.type === 'Directory') return entry.resume()
      const data: Buffer[] = []
      entry.on('data', (c: Buffer) => data.push(c))
      entry.on('end', () => entries.push({path: entry.path.replace(/^\.\//, ''), data: Buffer.concat(data)}))
    },
  })
  parser.on('error', (error: Error) => problems.push(error.message))
  parser.on('warn', (_code: string, message: string | Error) => problems.push(typeof message === 'string' ? message : message.message))
  parser.end(gz)
  if (problems.length > 0) throw new Error(problems.join('; '))
  return entries
}
