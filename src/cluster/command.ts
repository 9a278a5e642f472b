import {errorMessage} from '../errors.js'
import type {ClusterSpecOf, MemberRole, RoleReader} from './role-reader.js'
import {roleFromOutput} from './role-words.js'

/** How a member whose role could not be read is reported: unknown, with why, never an error. */
export function unknownRole(why: string): MemberRole {
  return {role: 'other', state: `unknown: ${why}`}
}

/**
 * The role reader for `cluster: {manager: command, command: [...]}`: the argv runs in every running
 * member at once (`redis-cli role`, `mysql -Nse 'select @@read_only'` with `outputs: {'0': leader,
 * '1': replica}`); the first line it prints names the role. A member where it fails, times out or
 * prints something else is unknown. Every member that names a role serves (the command is the
 * system's own word that it holds it).
 */
export const commandRoleReader: RoleReader<ClusterSpecOf<'command'>> = {
  async readRoles(members, cluster) {
    const roles = new Map<string, MemberRole>()
    await Promise.all(
      members.map(async (m) => {
        if (!m.exec) return roles.set(m.name, unknownRole('cannot run a command in it'))
        try {
          const r = await m.exec(cluster.command, cluster.timeout)
          const first = r.stdout.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? ''
          if (r.exitCode !== 0) return roles.set(m.name, unknownRole(`${cluster.command[0]} exited ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`))
          const role = roleFromOutput(r.stdout, cluster.outputs)
          roles.set(m.name, role ? {role, state: first} : unknownRole(`"${first.slice(0, 60)}" names no role`))
        } catch (error) {
          roles.set(m.name, unknownRole(errorMessage(error)))
        }
      }),
    )
    return roles
  },
  serving: (member) => member.role !== 'other',
}
