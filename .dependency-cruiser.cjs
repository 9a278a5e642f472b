/**
 * firedrill's layers, checked by `npm run lint:deps` (scripts/test.sh runs it before any test).
 *
 * Imports only point down. From the top:
 *
 *   L5 commands/, cli/       oclif: parse flags, call one function below, print what it returns.
 *   L4 session/ project/     the wiring of one command's work: locks, the crash journal, the engine,
 *                            bringing a topology up, running drills, writing their evidence;
 *                            scaffolding a user's project (init).
 *   L3 drill/ evidence/ report/ history/
 *                            the runner and what is done with its result: bundles, reports, the store.
 *   L2 faults/ probes/ measure/ grade/ cluster/ topology/
 *                            the parts a drill is made of, each usable on its own.
 *   L1 engine/ config/       the container runtime behind small interfaces; the files a user writes.
 *   L0 model/ util/ errors.ts paths.ts
 *                            shared vocabulary (DrillResult, roles, objectives, the topology model,
 *                            Revert, Sample) and helpers that know nothing of drills.
 *
 * Why a layer may use the one below it (and never the one above):
 * - L5 → L4: a command is a thin shell over the session; the session never knows about oclif, so
 *   it is driven the same way from a test.
 * - L4 → L3: the session composes the runner with evidence, reports and the history; those parts
 *   never take a lock or decide whether a topology comes up.
 * - L3 → L2: the runner injects faults, runs probes, measures and grades; reports render results.
 *   A fault or a probe never knows the runner that drives it, so each is tested with a fake clock
 *   and a fake engine.
 * - L2 → L1: faults, probes and the topology act through the engine interface and read validated
 *   config; the engine and config never know what a drill does with them.
 * - L1 → L0: everything speaks the shared vocabulary; model/ imports nothing else from src/, so a
 *   type every layer uses can never drag a layer's code in with it.
 *
 * Within a layer, siblings stay apart except where a rule below says which way they may point.
 * No module cycles anywhere. Only the Docker adapter imports dockerode; only a probe's own module
 * imports its client library (pg, mysql2, redis).
 */
const L0 = '^src/(model|util)/|^src/(errors|paths)\\.ts$'
const L1 = '^src/(engine|config)/'
const L2 = '^src/(faults|probes|measure|grade|cluster|topology)/'
const L3 = '^src/(drill|evidence|report|history)/'
const L4 = '^src/(session|project)/'
const L5 = '^src/(commands|cli)/'

const up = (name, from, to, comment) => ({name, comment, severity: 'error', from: {path: from}, to: {path: to}})
// `from` captures the directory; `$1` in pathNot lets a directory use its own modules.
const siblings = (name, from, to, comment) => ({name, comment, severity: 'error', from: {path: from}, to: {path: to, pathNot: '^src/$1/'}})

module.exports = {
  forbidden: [
    {...up('model-imports-nothing', '^src/model/', '^src/', 'model/ is the shared vocabulary: it imports nothing else from src/.'), to: {path: '^src/', pathNot: '^src/model/'}},
    up('l0-points-down', L0, [L1, L2, L3, L4, L5].join('|'), 'util/, errors.ts and paths.ts know nothing of drills: they use only model/ and each other.'),
    up('l1-points-down', L1, [L2, L3, L4, L5].join('|'), 'engine/ and config/ never know what a drill does with a container or a file.'),
    up('l2-points-down', L2, [L3, L4, L5].join('|'), 'a fault, probe, measure, grade, cluster reader or topology step never knows the runner that drives it.'),
    up('l3-points-down', L3, [L4, L5].join('|'), 'the runner, evidence, reports and history never take locks or decide what a command does.'),
    up('l4-points-down', L4, L5, 'the session never knows about oclif.'),
    siblings('l1-siblings', '^src/engine/', '^src/config/', 'the engine runs containers; it does not read drill or topology files.'),
    {...siblings('l1-siblings', '^src/config/', '^src/engine/'), comment: 'validating a file never asks the engine anything.'},
    // L2: faults act on a topology (its model, who leads now); the topology asks the cluster's role
    // reader. Nothing else crosses: a probe, a measurement or a grade stands alone.
    siblings('l2-siblings', '^src/(probes|measure|grade|cluster)/', '^src/(faults|probes|measure|grade|cluster|topology)/', 'probes, measure, grade and cluster readers use nothing of their siblings.'),
    siblings('l2-siblings', '^src/topology/', '^src/(faults|probes|measure|grade)/', 'the topology is brought up and observed without knowing faults or probes.'),
    siblings('l2-siblings', '^src/faults/', '^src/(probes|measure|grade)/', 'a fault knows its targets (topology), never the probe that measures it.'),
    // L3: evidence seals a run with its reports and records it in the history; reports read the
    // history (trends, the calendar); the runner uses none of them.
    siblings('l3-siblings', '^src/drill/', '^src/(evidence|report|history)/', 'the runner produces a DrillResult and knows nothing of what is done with it.'),
    siblings('l3-siblings', '^src/report/', '^src/(drill|evidence)/', 'a report renders a result and what evidence/ loaded; it never opens a bundle itself.'),
    siblings('l3-siblings', '^src/history/', '^src/(drill|evidence|report)/', 'the history stores and schedules; report/ renders it.'),
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one: neither can be understood, tested or moved alone.',
      severity: 'error',
      from: {},
      to: {circular: true},
    },
    {
      name: 'only-the-docker-adapter-imports-dockerode',
      comment: 'everything else asks the small Engine interfaces in engine/engine.ts, so a fake engine stands in for tests.',
      severity: 'error',
      from: {path: '^src/', pathNot: '^src/engine/docker\\.ts$'},
      to: {path: 'node_modules/(@types/)?dockerode/'},
    },
    {
      name: 'only-a-probe-imports-its-client-library',
      comment: "the runner asks the probe registry; only the PostgreSQL probe family talks PostgreSQL's protocol.",
      severity: 'error',
      from: {path: '^src/', pathNot: '^src/probes/postgres/'},
      to: {path: 'node_modules/(@types/)?pg/'},
    },
    {
      name: 'only-the-mysql-probe-imports-mysql2',
      comment: "the runner asks the probe registry; only the MySQL probe talks MySQL's protocol.",
      severity: 'error',
      from: {path: '^src/', pathNot: '^src/probes/mysql/'},
      to: {path: 'node_modules/mysql2/'},
    },
    {
      name: 'only-the-redis-probe-imports-redis',
      comment: "the runner asks the probe registry; only the Redis probe talks RESP.",
      severity: 'error',
      from: {path: '^src/', pathNot: '^src/probes/redis/'},
      to: {path: 'node_modules/(redis|@redis/[^/]+)/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    // Type-only imports count: a type pulls its module's layer in as surely as a value does.
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js']},
  },
}
