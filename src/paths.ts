import {fileURLToPath} from 'node:url'
import path from 'node:path'

/** The installed package's root (holds drills/, fixtures/, schemas/), from src/ or dist/ alike. */
export const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..')

/** The embedded default topology. */
export const DEFAULT_TOPOLOGY = path.join(PACKAGE_ROOT, 'fixtures', 'topologies', 'bank-3site', 'topology.yaml')

/** The drills shipped with firedrill. */
export const DEFAULT_DRILLS_DIR = path.join(PACKAGE_ROOT, 'drills')

/** The topologies shipped with firedrill (each a directory with topology.yaml and its image's build context). */
export const SHIPPED_TOPOLOGIES_DIR = path.join(PACKAGE_ROOT, 'fixtures', 'topologies')
