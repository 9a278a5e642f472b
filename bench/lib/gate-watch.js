import pg from 'pg'

/**
 * The benches' independent record of the gated writes (fdbench_gated, written by lossDrill's gate):
 * every 200 ms each PostgreSQL node `resolve()` names (addresses asked again every `resolveEveryMs`) is
 * read, and every row ever seen is kept, so a row that a failover later loses is still on record.
 */
export function gateWatcher(resolve, {resolveEveryMs = 2000} = {}) {
  const seen = new Map()
  let stopped = false
  let addresses = []
  let resolvedAt = 0
  const poll = async () => {
    while (!stopped) {
      if (Date.now() - resolvedAt > resolveEveryMs) {
        try {
          addresses = resolve()
        } catch {}
        resolvedAt = Date.now()
      }
      await Promise.all(
        addresses.map(async (host) => {
          const client = new pg.Client({host, user: 'postgres', password: 'firedrill', database: 'postgres', connectionTimeoutMillis: 500, query_timeout: 500})
          client.on('error', () => {})
          try {
            await client.connect()
            const r = await client.query('SELECT run_id, seq::int AS seq, at FROM fdbench_gated')
            for (const row of r.rows) seen.set(`${row.run_id}/${row.seq}`, {run_id: row.run_id, seq: row.seq, at: row.at.getTime(), node: host})
          } catch {
            // not up, no gate yet, or not accepting connections: next round
          } finally {
            await client.end().catch(() => {})
          }
        }),
      )
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  const loop = poll()
  const rows = (runId) => [...seen.values()].filter((r) => r.run_id === runId).sort((a, b) => a.seq - b.seq)
  return {
    rows,
    seqs: (runId) => rows(runId).map((r) => r.seq),
    stop: async () => {
      stopped = true
      await loop
    },
  }
}
