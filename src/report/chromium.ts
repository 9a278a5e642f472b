import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa} from 'execa'

import {EnvironmentError} from '../errors.js'

/** Headless Chromium (Debian's `chromium`) for PDFs, screenshots and checking that a report renders. */
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']
/** The flags every headless start uses (no network of its own: no updates, no sync, no QUIC). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
]
const TIMEOUT_MS = 60_000

/** The Chromium binary: $FIREDRILL_CHROMIUM, or the first of chromium, chromium-browser, google-chrome on PATH. */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.FIREDRILL_CHROMIUM) return env.FIREDRILL_CHROMIUM
  for (const name of CANDIDATES) {
    const r = await execa('sh', ['-c', `command -v ${name}`], {reject: false})
    if (r.exitCode === 0 && String(r.stdout).trim()) return String(r.stdout).trim()
  }
  return undefined
}

/** How to get Chromium, for an error that needs it. */
export const CHROMIUM_REMEDIES = [
  'apt-get install -y chromium   (Debian, Ubuntu: chromium or chromium-browser)',
  'or set FIREDRILL_CHROMIUM to a Chromium or Chrome binary',
  'or leave out --pdf: the HTML report (--reporter html) needs no browser',
]

/** `--pdf` asked for: refuse before anything starts (exit 2) when no Chromium is there, saying how to get one. */
export async function requireChromium(what: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const binary = await findChromium(env)
  if (!binary) throw new EnvironmentError(`${what} needs Chromium (headless), and none was found (${CANDIDATES.join(', ')} on PATH, or $FIREDRILL_CHROMIUM)`, CHROMIUM_REMEDIES)
  return binary
}

async function withProfile<T>(fn: (profile: string) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(path.join(tmpdir(), 'firedrill-chromium-'))
  try {
    return await fn(profile)
  } finally {
    rmSync(profile, {recursive: true, force: true})
  }
}

async function chromium(binary: string, args: string[]): Promise<string> {
  return withProfile(async (profile) => {
    const r = await execa(binary, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], {reject: false, timeout: TIMEOUT_MS, stdin: 'ignore'})
    if (r.exitCode !== 0) throw new Error(`chromium ${args[0]} failed (exit ${r.exitCode}): ${String(r.stderr).split('\n').slice(-3).join(' ')}`)
    return String(r.stdout)
  })
}

const url = (file: string) => `file://${path.resolve(file)}`

export async function printToPdf(binary: string, htmlFile: string, pdfFile: string): Promise<void> {
  await chromium(binary, [`--print-to-pdf=${path.resolve(pdfFile)}`, '--no-pdf-header-footer', url(htmlFile)])
}

export async function screenshot(binary: string, htmlFile: string, pngFile: string, size = {width: 1200, height: 1800}): Promise<void> {
  await chromium(binary, [`--screenshot=${path.resolve(pngFile)}`, `--window-size=${size.width},${size.height}`, url(htmlFile)])
}

/** The DOM as Chromium parsed and laid it out. */
export async function dumpDom(binary: string, htmlFile: string): Promise<string> {
  return chromium(binary, ['--dump-dom', url(htmlFile)])
}
