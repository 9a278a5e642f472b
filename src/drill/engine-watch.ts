import type {Engine} from '../engine/engine.js'
import {EngineUnavailableError} from '../errors.js'

/**
 * The engine as one run uses it, watched: whether the latest call found it unreachable (or stuck).
 * Reverts, waits and probes catch engine errors of their own accord, so the runner cannot learn from
 * the errors it sees whether the engine is gone; it asks this instead.
 */
export function watchEngine(engine: Engine): {engine: Engine; lost: () => EngineUnavailableError | undefined} {
  let lost: EngineUnavailableError | undefined
  const watched = new Proxy(engine, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const out: unknown = value.apply(target, args)
        if (!(out instanceof Promise)) return out
        return out.then(
          (v: unknown) => {
            lost = undefined
            return v
          },
          (error: unknown) => {
            if (error instanceof EngineUnavailableError) lost = error
            else lost = undefined // it answered, with an error of its own
            throw error
          },
        )
      }
    },
  })
  return {engine: watched, lost: () => lost}
}
