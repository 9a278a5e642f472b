import {DockerEngine} from '../../src/engine/docker.js'
import {LABEL} from '../../src/engine/labels.js'
import {NET_HELPER_ROLE, NetHelpers} from '../../src/faults/net-helper.js'

/** What is in a container's network namespace (iptables rules, qdiscs), seen from a throwaway helper labelled with the project. */
export async function netState(engine: DockerEngine, project: string, container: {id: string; name: string}): Promise<{iptables: string; qdisc: string}> {
  const helpers = new NetHelpers(engine, {project, runId: 'inspect'})
  const h = await helpers.attach(container, `insp${Math.random().toString(36).slice(2, 6)}`)
  try {
    return {iptables: await h.must('iptables-save', 'iptables-save'), qdisc: await h.must('tc', 'tc qdisc show')}
  } finally {
    await h.remove()
  }
}

/** Helper containers of a project still there. */
export async function helpersLeft(engine: DockerEngine, project: string): Promise<string[]> {
  return (await engine.listContainers([`${LABEL.project}=${project}`, `${LABEL.role}=${NET_HELPER_ROLE}`])).map((c) => c.name)
}
