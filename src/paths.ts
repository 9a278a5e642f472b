import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import path from 'node:path'

/** The installed package's root (holds drills/, fixtures/, schemas/), from src/ or dist/ alike. */
export const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..')

/** The embedded default topology. */
export const DEFAULT_TOPOLOGY = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'bank-3site', 'topology.yaml')

/** The drills shipped with firedrill: the embedded topology's (commands read a directory one level deep, so `drills/` means these). */
export const DEFAULT_DRILLS_DIR = path.join(PACKAGE_ROOT, 'drills')

/** Every directory of shipped drills: drills/ and one per other shipped topology (drills/messenger/). */
export function shippedDrillDirs(): string[] {
  const subdirs = readdirSync(DEFAULT_DRILLS_DIR, {withFileTypes: true}).filter((e) => e.isDirectory()).map((e) => path.join(DEFAULT_DRILLS_DIR, e.name))
  return [DEFAULT_DRILLS_DIR, ...subdirs.sort()]
}

/** The topologies shipped with firedrill (each a directory with topology.yaml and its image's build context). */
export const SHIPPED_TOPOLOGIES_DIR = path.join(PACKAGE_ROOT, 'fixtures', 'topologies')
