import {hostEngineCheck} from '../support/host-check.js'

/** The real engine or a failure; nothing labelled left behind (engine labs are the multi-engine layer's). */
export const {setup, teardown} = hostEngineCheck('integration', 'all-but-engine-labs')
