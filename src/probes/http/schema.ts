import {z} from 'zod'

import {probeRunFields, type ProbeCapabilities, type ProbeMeasures, type ProbeSpec} from '../../config/probe-kinds.js'
import {regex, siteOrder} from '../regex.js'

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const path = (what: string) =>
  z.string().regex(/^\/[^\s]*$/, {error: `${what} must start with / and hold no whitespace (e.g. /health)`})
const headers = z
  .record(z.string().regex(TOKEN, {error: 'a header name is a token: letters, digits and !#$%&\'*+.^_`|~-'}), z.string().regex(/^[^\r\n]*$/, {error: 'a header value holds no line break'}))
  .optional()
const STATUS_RANGE = /^([1-5]\d\d)-([1-5]\d\d)$/
/** Expected status: one code, a list, or a range `200-299`. */
const status = z.union(
  [
    z.int().min(100).max(599),
    z.array(z.int().min(100).max(599)).min(1),
    z.string().regex(STATUS_RANGE, {error: 'a status range is FROM-TO, e.g. 200-299'}).refine((r) => Number(r.split('-')[0]) <= Number(r.split('-')[1]), {error: 'a status range goes from low to high'}),
  ],
  {error: 'status is a code (200), a list ([200, 204]) or a range (\'200-299\')'},
)

/**
 * `probe: {kind: http, ...}`. Where: `service` + `port` + `path` (each sample tries the service's
 * instances in `order`, site by site, and the first that accepts the connection answers: client-side
 * failover; a service of one instance, a gateway, is a fixed address), or `url`: one whose host is the
 * probe's service (`http://gateway:8080/health`) reaches that service's instances the same way; any
 * other is used as is (an address the runner's own host reaches, such as a published port). What: `method`, `headers`, `body`, and `expect`
 * (status list or range, optional body regex). With `write` + `read` the samples are writes: each
 * carries `${seq}` and `${run_id}` in its path or body, 2xx is acknowledged, and after recovery every
 * write is read back through `read` (one GET per write when its path holds `${seq}`, else one listing
 * request whose JSON field `seqs` names the sequence numbers present) → lost writes and RPO.
 */
export const httpSchema = z
  .strictObject({
    kind: z.literal('http'),
    ...probeRunFields,
    port: z.int({error: 'port must be a whole number from 1 to 65535'}).min(1).max(65_535).default(80),
    path: path('path').optional(),
    url: z.url({protocol: /^https?$/, error: 'url must be an absolute http:// or https:// URL'}).optional(),
    order: siteOrder.optional(),
    method: z.enum(HTTP_METHODS, {error: `method must be one of: ${HTTP_METHODS.join(', ')}`}).default('GET'),
    headers,
    body: z.string().optional(),
    expect: z
      .strictObject({
        status: status.default('200-299'),
        /** The answer's body must match this regular expression. */
        body: regex('expect.body').optional(),
      })
      .default({status: '200-299'}),
    write: z
      .strictObject({
        method: z.enum(['POST', 'PUT', 'PATCH'], {error: 'write.method must be POST, PUT or PATCH'}).default('POST'),
        path: path('write.path'),
        /** The request body; `${seq}` and `${run_id}` are replaced by the sample's sequence number and the run id. */
        body: z.string().optional(),
        headers,
      })
      .optional(),
    read: z
      .strictObject({
        /** `${seq}` and `${run_id}` are replaced; with `${seq}`, one GET per write (2xx present, 404 absent). */
        path: path('read.path'),
        /** Without `${seq}` in the path: the JSON field of the one answer that lists the sequence numbers present (`seqs`, or `data.seqs`). */
        seqs: z.string().regex(/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/, {error: 'seqs is a dotted JSON field name such as seqs or data.seqs'}).optional(),
        headers,
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (s.url !== undefined && s.path !== undefined) ctx.addIssue({code: 'custom', path: ['path'], message: 'give url (an absolute address) or path (on the service), not both'})
    if ((s.write === undefined) !== (s.read === undefined)) {
      ctx.addIssue({code: 'custom', path: [s.write ? 'read' : 'write'], message: 'write and read go together: the writes are read back to measure what was lost'})
    }
    if (s.write && (s.body !== undefined || s.method !== 'GET')) {
      ctx.addIssue({code: 'custom', path: [s.body !== undefined ? 'body' : 'method'], message: 'with write, each sample is the write: give its method and body under write:'})
    }
    if (s.write && !`${s.write.path}${s.write.body ?? ''}`.includes('${seq}')) {
      ctx.addIssue({code: 'custom', path: ['write', s.write.body === undefined ? 'path' : 'body'], message: 'each write must carry its sequence number: put ${seq} in write.body or write.path'})
    }
    if (s.read && !s.read.path.includes('${seq}') && s.read.seqs === undefined) {
      ctx.addIssue({code: 'custom', path: ['read', 'seqs'], message: 'a read path without ${seq} is one listing request: name its JSON field of sequence numbers (seqs: seqs)'})
    }
    if (s.read && s.read.path.includes('${seq}') && s.read.seqs !== undefined) {
      ctx.addIssue({code: 'custom', path: ['read', 'seqs'], message: 'seqs is for one listing request; a read path with ${seq} reads each write on its own'})
    }
  })
export type HttpSpec = z.output<typeof httpSchema>

/** Reads its writes back (RPO) when written with write + read; a plain check measures RTO and impact. */
export const httpCapabilities: ProbeCapabilities = {rpo: true, splitBrain: false, replicationLag: false}
export const httpMeasures: ProbeMeasures = {
  measures: (spec: ProbeSpec) => ({...httpCapabilities, rpo: (spec as HttpSpec).write !== undefined}),
  when: {rpo: 'with write and read'},
}

/** Whether a status is one the probe expects. */
export function statusMatches(expected: HttpSpec['expect']['status'], code: number): boolean {
  if (typeof expected === 'number') return code === expected
  if (Array.isArray(expected)) return expected.includes(code)
  const [, from, to] = STATUS_RANGE.exec(expected)!
  return code >= Number(from) && code <= Number(to)
}
