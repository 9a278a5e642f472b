// A few Docker Engine API calls over the unix socket (what a user's readiness loop would ask with
// `docker inspect` and curl, without paying for a docker CLI process each time).
import http from 'node:http'

const SOCKET = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '')

export function dockerGet(pathAndQuery) {
  return new Promise((resolve, reject) => {
    const req = http.request({socketPath: SOCKET, path: pathAndQuery, method: 'GET'}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(body)) : reject(new Error(`${pathAndQuery}: HTTP ${res.statusCode} ${body}`))))
    })
    req.on('error', reject)
    req.end()
  })
}

export async function projectContainers(project) {
  const filters = encodeURIComponent(JSON.stringify({label: [`io.firedrill.project=${project}`]}))
  return dockerGet(`/containers/json?all=1&filters=${filters}`)
}

async function getJson(url) {
  const r = await fetch(url, {signal: AbortSignal.timeout(1500)})
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`)
  return r.json()
}

/**
 * The same readiness firedrill's `up` waits for, asked the way a script would: every container
 * running and healthy (Docker says so, or its health endpoint answers now); Patroni's /cluster shows a running leader; the leader's /patroni shows a sync
 * standby and a replica streaming (as many as `want` says).
 */
export async function readyLikeFiredrill(project, want = {containers: 6, sync_standby: 1, replica: 1}) {
  const list = await projectContainers(project)
  if (list.length < want.containers) return false
  const wan = `fd-${project}-wan`
  // Docker checks health every 30 s (the topology's interval); like firedrill, a script asks the health
  // endpoint the check asks (etcd :2379/health, Patroni :8008/health) itself until Docker has said healthy.
  const healthUrl = (c) => `http://${c.NetworkSettings.Networks[wan]?.IPAddress}:${c.Labels['io.firedrill.service'] === 'etcd' ? 2379 : 8008}/health`
  const healthy = await Promise.all(list.map(async (c) => c.State === 'running' && (c.Status.includes('(healthy)') || (await getJson(healthUrl(c)).then(() => true, () => false)))))
  if (!healthy.every(Boolean)) return false
  const pgs = list.filter((c) => c.Labels['io.firedrill.service'] === 'postgres')
  const ip = (c) => c.NetworkSettings.Networks[wan]?.IPAddress
  let cluster
  for (const c of pgs) {
    try {
      cluster = await getJson(`http://${ip(c)}:8008/cluster`)
      break
    } catch {}
  }
  const leader = cluster?.members?.find((m) => ['leader', 'master', 'primary'].includes(m.role) && m.state === 'running')
  if (!leader) return false
  const leaderContainer = pgs.find((c) => c.Labels['io.firedrill.site'] && leader.name === `postgres-${c.Labels['io.firedrill.site']}`)
  let replication = []
  try {
    replication = (await getJson(`http://${ip(leaderContainer)}:8008/patroni`)).replication ?? []
  } catch {
    return false
  }
  const streaming = (name) => replication.some((r) => r.application_name === name && r.state === 'streaming')
  const count = (role) => cluster.members.filter((m) => m.role === role && ['running', 'streaming'].includes(m.state) && streaming(m.name)).length
  return count('sync_standby') >= want.sync_standby && count('replica') >= want.replica
}
