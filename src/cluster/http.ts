import {errorMessage} from '../errors.js'
import {endpointOf} from '../model/reach.js'
import type {ClusterRole} from '../model/vocabulary.js'
import {unknownRole} from './command.js'
import type {ClusterSpecOf, MemberRole, RoleReader} from './role-reader.js'

/**
 * The role reader for `cluster: {manager: http, port, paths: {leader: /primary, replica: /replica}}`:
 * each running member is asked every role's path; the role whose path answers 2xx is its role (the
 * leader's first, then sync_standby, then replica). None answering 2xx, or no answer at all, is unknown.
 */
export const httpRoleReader: RoleReader<ClusterSpecOf<'http'>> = {
  async readRoles(members, cluster) {
    const roles = new Map<string, MemberRole>()
    const paths = (['leader', 'sync_standby', 'replica'] as const).flatMap((role): [ClusterRole, string][] => (cluster.paths[role] ? [[role, cluster.paths[role]]] : []))
    await Promise.all(
      members.map(async (m) => {
        const answers = await Promise.all(
          paths.map(async ([role, path]) => {
            try {
              const at = await endpointOf(m, cluster.port)
              const response = await fetch(`http://${at.host}:${at.port}${path}`, {signal: AbortSignal.timeout(cluster.timeout)})
              await response.body?.cancel()
              return {role, path, status: response.status}
            } catch (error) {
              return {role, path, error: errorMessage(error)}
            }
          }),
        )
        const held = answers.find((a) => a.status !== undefined && a.status >= 200 && a.status < 300)
        if (held) return roles.set(m.name, {role: held.role, state: `${held.path} answered ${held.status}`})
        const said = answers.map((a) => `${a.path} ${a.status ?? a.error}`).join(', ')
        roles.set(m.name, unknownRole(said))
      }),
    )
    return roles
  },
  serving: (member) => member.role !== 'other',
}
