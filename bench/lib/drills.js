// Drills with a known outcome, shared by the accuracy benchmarks and their regression tests
// (test/integration/accuracy.test.ts). Plain text so that they read as the drills they are.
import {randomUUID} from 'node:crypto'

/**
 * Freeze the primary's container for exactly `outageS` seconds and thaw it. Ground truth for RTO:
 * the outage runs from the pause call's completion to the unpause call, both on the run's timeline.
 * Run it with Patroni in maintenance mode (patronictl pause): the freeze must not become a failover.
 */
export function freezeDrill({topology, outageS, intervalMs, timeoutMs = 500, stableSamples = 3}) {
  return `name: freeze-primary-${outageS}s-${intervalMs}ms
description: freeze the primary's container for exactly ${outageS} s and thaw it (ground truth for RTO)
topology: ${topology}
objectives:
  rto: 60s
  rpo: 0s
probe:
  kind: postgres-write
  service: postgres
  password: firedrill
  interval: ${intervalMs}ms
  timeout: ${timeoutMs}ms
  stable_samples: ${stableSamples}
steps:
  - sleep: 1s
  - fault: pause
    name: freeze
    target: {service: postgres, role: leader}
  - sleep: ${outageS}s
  - heal: [freeze]
  - wait: recovered
    timeout: 30s
  - sleep: 500ms
`
}

/**
 * The write gate: a trigger on the probe's table. Budget NULL: open. 0: closed (every insert fails
 * with a definite error, so the probe records "failed", never an acknowledgement). N > 0: exactly N
 * more inserts go through, each recorded in fdbench_gated (run, seq, server time), then closed.
 * Installed while the probe writes: the probe's table is locked first, the order a probe insert takes
 * them in (its table, then the gate through the trigger). Locking the gate first deadlocked against an
 * insert on a topology a drill had already gated (CI, 2026-12-01: "HINT: See server log for query details").
 */
export const GATE_SQL = `BEGIN;
LOCK TABLE firedrill_probe IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE IF NOT EXISTS fdbench_gate (id int PRIMARY KEY, budget int);
ALTER TABLE fdbench_gate ADD COLUMN IF NOT EXISTS closed_by text;
CREATE TABLE IF NOT EXISTS fdbench_gated (run_id text NOT NULL, seq bigint NOT NULL, at timestamptz NOT NULL);
INSERT INTO fdbench_gate VALUES (1, NULL) ON CONFLICT (id) DO UPDATE SET budget = NULL;
CREATE OR REPLACE FUNCTION fdbench_gate() RETURNS trigger LANGUAGE plpgsql AS $gate$
DECLARE b int;
BEGIN
  SELECT budget INTO b FROM fdbench_gate WHERE id = 1 FOR UPDATE;
  IF b IS NULL THEN RETURN NEW; END IF;
  IF b <= 0 THEN RAISE EXCEPTION 'fdbench gate closed' USING ERRCODE = 'P0001'; END IF;
  UPDATE fdbench_gate SET budget = b - 1 WHERE id = 1;
  INSERT INTO fdbench_gated VALUES (NEW.run_id, NEW.seq, clock_timestamp());
  RETURN NEW;
END
$gate$;
CREATE OR REPLACE TRIGGER fdbench_gate BEFORE INSERT ON firedrill_probe FOR EACH ROW EXECUTE FUNCTION fdbench_gate();
COMMIT;`

/**
 * Replication stopped on the primary alone: its pg_hba.conf refuses replication connections from other
 * hosts (Patroni's own local one still allowed), reloaded, and the walsenders terminated. Patroni
 * rewrites pg_hba.conf from its configuration when it starts PostgreSQL, so the killed primary comes
 * back without it. (Making the replication role NOLOGIN did the same, but that change stays in the old
 * primary's catalog: Patroni could not open its local replication connection to learn the timeline,
 * never rewound the node, and it stayed a diverged standby that replicated nothing.)
 */
const STOP_REPLICATION = `[sh, -c, ${JSON.stringify(
  "sed -i -e '1i host replication replicator 127.0.0.1/32 scram-sha-256' -e '1i host replication all 0.0.0.0/0 reject' /var/lib/postgresql/data/pg_hba.conf && psql -h /var/run/postgresql -U postgres -X -q -v ON_ERROR_STOP=1 -c 'SELECT pg_reload_conf()' -c 'SELECT pg_terminate_backend(pid) FROM pg_stat_replication'",
)}]`

const psql = (...sql) => `[psql, -h, /var/run/postgresql, -U, postgres, -X, -q, -v, ON_ERROR_STOP=1, ${sql.flatMap((s) => ['-c', JSON.stringify(s)]).join(', ')}]`
const check = (condition, what) => psql(`DO $$BEGIN IF NOT (${condition}) THEN RAISE EXCEPTION '${what}'; END IF; END$$`)

/**
 * Lose exactly `lost` acknowledged writes: close the gate (replicated), wait until the standby has
 * it, stop replication (the primary's pg_hba refuses replication; walsenders terminated), open the gate
 * for exactly `lost` writes on the primary alone, wait until they are through, SIGKILL the primary;
 * Patroni promotes the standby (asynchronous replication, so it may); reopen writes
 * there. firedrill must then report exactly `lost` lost writes, and an RPO counted from the
 * acknowledgement of the first of them. Needs a topology with one standby (role: replica is the one
 * promoted) and Patroni's synchronous_mode off (see bench/rpo-accuracy.js).
 *
 * The closing is marked with a nonce of this drill's: a standby that is not replicating yet (the
 * previous drill's old primary, still rejoining) holds a gate closed from then, and once passed for
 * one that had caught up. That run lost every write it acknowledged, and firedrill said 75 where the
 * benchmark expected 10.
 */
export function lossDrill({topology, lost, intervalMs = 20, name = `lose-${lost}-acked-writes`, nonce = randomUUID()}) {
  const leader = '{service: postgres, role: leader}'
  const standby = '{service: postgres, role: replica}'
  return `name: ${name}
description: lose exactly ${lost} acknowledged writes (ground truth for RPO)
topology: ${topology}
objectives:
  rto: 120s
  rpo: 0s
probe:
  kind: postgres-write
  service: postgres
  password: firedrill
  interval: ${intervalMs}ms
  timeout: 1s
  stable_samples: 3
steps:
  - runbook: install the write gate, open
    argv: [psql, -h, /var/run/postgresql, -U, postgres, -X, -q, -v, ON_ERROR_STOP=1, -c, ${JSON.stringify(GATE_SQL)}]
    in: ${leader}
    user: postgres
  - sleep: 1s
  - runbook: close the gate, marked as this drill's (${nonce})
    argv: ${psql(`UPDATE fdbench_gate SET budget = 0, closed_by = '${nonce}' WHERE id = 1`)}
    in: ${leader}
    user: postgres
  - wait: command      # the standby has replayed everything up to this drill's closing of the gate
    argv: ${check(`EXISTS (SELECT 1 FROM fdbench_gate WHERE id = 1 AND budget = 0 AND closed_by = '${nonce}')`, 'standby has not replayed the closed gate yet')}
    in: ${standby}
    user: postgres
    timeout: 120s
  - runbook: stop replication
    argv: ${STOP_REPLICATION}
    in: ${leader}
    user: postgres
  - wait: command      # no walsender came back
    argv: ${check('NOT EXISTS (SELECT 1 FROM pg_stat_replication)', 'a standby is still replicating')}
    in: ${leader}
    user: postgres
    timeout: 30s
  - runbook: open the gate for exactly ${lost} writes, on the primary alone
    argv: ${psql(`UPDATE fdbench_gate SET budget = ${lost} WHERE id = 1`)}
    in: ${leader}
    user: postgres
  - wait: command      # all ${lost} acknowledged; the gate is closed again
    argv: ${check('(SELECT budget FROM fdbench_gate WHERE id = 1) = 0', 'writes still going through the gate')}
    in: ${leader}
    user: postgres
    timeout: 60s
  - sleep: 1s          # the benchmark reads fdbench_gated on the primary meanwhile
  - fault: kill
    target: ${leader}
    signal: SIGKILL
  - wait: command      # succeeds once the standby has been promoted: reopen writes there (replication was only ever refused by the old primary)
    argv: ${psql('UPDATE fdbench_gate SET budget = NULL WHERE id = 1')}
    in: ${leader}
    user: postgres
    timeout: 60s
  - wait: recovered
    timeout: 30s
  - sleep: 1s
`
}

/**
 * A topology of the benchmark's own for lossDrill: PostgreSQL on seoul and gyeonggi only, so the one
 * standby (role: replica) is the one promoted. Healthy needs only a leader: the standby is a sync
 * standby until synchronous_mode is switched off after up, and may still be rejoining (pg_rewind)
 * when a drill starts; lossDrill waits for it to replay the closed gate instead.
 */
export function lossTopology(embeddedText) {
  return embeddedText
    .replace(/(  postgres:\n(?:.*\n)*?    sites: )\[seoul, gyeonggi, busan\]/, '$1[seoul, gyeonggi]')
    .replace(/    per_site:\n      seoul:\n        env:\n          PATRONI_CAN_BOOTSTRAP: 'true'\n      busan:\n(?:        .*\n|\s*#.*\n)*/, "    per_site:\n      seoul:\n        env:\n          PATRONI_CAN_BOOTSTRAP: 'true'\n")
    .replace(/sync_standby: 1\n        replica: 1/, 'sync_standby: 0\n        replica: 0')
}

/**
 * mariadb-2site's topology text with its roles read by the command role reader from `SELECT @@read_only`
 * (no cluster manager: a promotion is a runbook step), ready when `readyWhen` (e.g. "leader: 1") holds.
 * One definition for the bench and the integration tests that drill it.
 */
export function mariadbReadOnlyRoles(topologyText, readyWhen) {
  return topologyText.replace(
    '    stop_timeout: 10s',
    [
      '    stop_timeout: 10s',
      '    cluster:',
      '      manager: command',
      "      command: [mariadb, --protocol=socket, -uroot, -pfiredrill-root, -N, -B, -e, 'SELECT @@read_only']",
      "      outputs: {'0': leader, '1': replica}",
      `      ready_when: {${readyWhen}}`,
    ].join('\n'),
  )
}
