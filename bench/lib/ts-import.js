// Test helpers a benchmark reuses as they are (no copy): Node 24 runs TypeScript by stripping its types,
// and this hook lets a .ts file of this checkout import its neighbours by the names tsc emits (`./x.js`
// finds `./x.ts` when there is no `./x.js`), as the sources and tests do. Only for files of this checkout,
// never under node_modules; whatever already resolves is left alone.
import {existsSync} from 'node:fs'
import {registerHooks} from 'node:module'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {ROOT} from './common.js'

const root = pathToFileURL(ROOT).href
let registered = false

/** import() of a TypeScript module of this checkout, e.g. importTs('test/support/engines.ts'). */
export async function importTs(relative) {
  if (!registered) {
    registered = true
    registerHooks({
      resolve(specifier, context, next) {
        const parent = context.parentURL ?? ''
        if (specifier.startsWith('.') && specifier.endsWith('.js') && parent.endsWith('.ts') && parent.startsWith(root) && !parent.includes('/node_modules/')) {
          const url = new URL(specifier, parent)
          if (!existsSync(fileURLToPath(url))) return next(`${specifier.slice(0, -3)}.ts`, context)
        }
        return next(specifier, context)
      },
    })
  }
  return import(new URL(relative, root).href)
}
