import {closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import path from 'node:path'

/** How bytes reach the disk; tests swap it to simulate a full disk half-way through a bundle. */
export interface FileWriter {
  /** Write the whole file or throw; never leave a partial file under `file`. */
  write(file: string, data: Buffer | string, mode?: number): void
}

/** Temp file beside the target, write, fsync, rename, fsync the directory: the target is whole or absent. */
export function writeFileAtomic(file: string, data: Buffer | string, mode = 0o644): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  mkdirSync(path.dirname(file), {recursive: true})
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  const fd = openSync(tmp, 'wx', mode)
  try {
    let off = 0
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(tmp, {force: true})
    throw error
  }
  closeSync(fd)
  try {
    renameSync(tmp, file)
  } catch (error) {
    try {
      unlinkSync(tmp)
    } catch {}
    throw error
  }
  fsyncDir(path.dirname(file))
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export const atomicWriter: FileWriter = {write: writeFileAtomic}
