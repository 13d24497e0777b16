// Two lvs-deploy runs at once on the same hosts (issue 11, bug 1): a run that planned on facts
// another run has since changed must not apply its stale plan (its rollback used to undo the
// winner's live changes and leave a DR real server without its VIP). After every round each host
// is in the winner's state, read back with `plan`: empty after two `up`s; after `up` + `down`
// either empty (up won) or exactly the plan of a fresh host (down won).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LabState, labEnv } from '../../src/lab/netns.js';
import { ROOT, run } from '../helpers/cli.js';
import { nodeInLab, startLab, stopLab } from '../helpers/lab.js';

const root = process.getuid?.() === 0;
const LAB = 'lvs-race';
const ROUNDS = Number(process.env.LVS_RACE_ROUNDS ?? 20);

interface HostLine {
  status: string;
  changes: string[];
  error?: string;
}
type Hosts = Record<string, HostLine>;
interface Round {
  round: number;
  upUp: Hosts[];
  afterUpUp: Hosts;
  upDown: Hosts[];
  afterUpDown: Hosts;
}

describe('two runs at once on the same hosts (netns lab)', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let inv: string;
  before(async () => {
    ({ state, inv, dir: tmp } = await startLab(LAB, 'lab-nat-dr.yaml', 'race.yaml'));
  });
  after(async () => {
    await stopLab(LAB, tmp);
  });

  test(`${ROUNDS} rounds of up ‖ up and up ‖ down: every host ends in the winner's state`, async () => {
    const r = await run(
      nodeInLab(state, join(ROOT, 'test', 'lab', 'race-driver.ts'), inv, String(ROUNDS)),
      labEnv(state),
    );
    assert.equal(r.code, 0, r.stderr);
    if (process.env.LVS_RACE_DUMP) writeFileSync(process.env.LVS_RACE_DUMP, r.stdout);
    const [first, ...rest] = r.stdout.trim().split('\n');
    const fresh = (JSON.parse(first ?? '{}') as { plan: Hosts }).plan;
    assert.ok(
      Object.values(fresh).every((h) => h.changes.length > 0),
      'a fresh host has changes pending',
    );
    const rounds = rest.map((l) => JSON.parse(l) as Round);
    assert.equal(rounds.length, ROUNDS);
    const refused = /^another lvs-deploy run .*(holds|changed) \S+ .*nothing applied/;
    for (const x of rounds) {
      for (const [host, h] of Object.entries(x.afterUpUp))
        assert.deepEqual(h.changes, [], `round ${x.round}: ${host} not converged after up ‖ up`);
      for (const [host, h] of Object.entries(x.afterUpDown)) {
        const ok =
          h.changes.length === 0 || JSON.stringify(h.changes) === JSON.stringify(fresh[host]?.changes);
        assert.ok(ok, `round ${x.round}: ${host} half up, half down: ${h.changes.join('; ')}`);
      }
      for (const runs of [x.upUp, x.upDown])
        for (const hosts of runs)
          for (const [host, h] of Object.entries(hosts))
            if (h.status === 'failed')
              assert.match(h.error ?? '', refused, `round ${x.round}: ${host} failed for another reason`);
      for (const host of Object.keys(x.afterUpUp))
        assert.ok(
          x.upUp.some((hosts) => hosts[host]?.status === 'changed'),
          `round ${x.round}: neither up changed ${host}`,
        );
    }
  });
});
