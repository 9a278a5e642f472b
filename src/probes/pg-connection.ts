import type pg from 'pg'

/**
 * Close a client at once. A connection to a frozen or cut-off host never answers a Terminate, so the
 * socket is destroyed first; otherwise it would stay open and keep the process from exiting.
 */
export async function destroyClient(client: pg.Client): Promise<void> {
  ;(client as unknown as {connection?: {stream?: {destroy(): void}}}).connection?.stream?.destroy()
  await client.end().catch(() => {})
}
