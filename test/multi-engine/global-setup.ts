import {hostEngineCheck} from '../support/host-check.js'

/** The real engine or a failure; no engine lab (containers, networks, volumes on the host engine) left behind. */
export const {setup, teardown} = hostEngineCheck('multi-engine', 'engine-labs')
