// The per-host run lock's shell, run for real under sh in a private mount namespace whose
// /var/lib/lvs-deploy is an empty tmpfs (this machine's own is never touched): a held lock names
// its holder, a dead holder's lock is taken over, and a host changed since the facts were read
// refuses the apply. Then the one-line errors the CLI prints for each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { acquireLock, lockError, ownerLine, type RunOwner, releaseLock } from '../../src/executor/lock.js';

const root = process.getuid?.() === 0;
const A: RunOwner = {
  runId: '20261130-1-aaaa',
  controlHost: 'ctl-a',
  pid: 101,
  since: '2026-11-30T03:00:00.000Z',
};
const B: RunOwner = {
  runId: '20261130-2-bbbb',
  controlHost: 'ctl-b',
  pid: 202,
  since: '2026-11-30T03:00:01.000Z',
};

/**
 * sh in a private mount namespace with an empty /var/lib/lvs-deploy. Each run is its own `sh`
 * process (as each apply is on a host): TAKE_A, TAKE_B, RUN_A hold the lock snippets.
 */
function inScratch(script: string): { code: number | null; out: string } {
  const r = spawnSync(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mkdir -p /var/lib/lvs-deploy && mount -t tmpfs lvs-lock-test /var/lib/lvs-deploy && ${script}`,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        TAKE_A: acquireLock(A, '').render(),
        TAKE_B: acquireLock(B, '').render(),
        RUN_A: `${acquireLock(A, '').render()}\n${releaseLock(A).render()}`,
      },
    },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('run lock (real sh, private mount namespace)', {
  skip: root ? false : 'needs root (mount namespace)',
}, () => {
  test('a live holder refuses the second run and is named', () => {
    const r = inScratch(
      '(sh -c "$TAKE_A; echo a-took; sleep 2") & sleep 0.5; sh -c "$TAKE_B; echo b-took"; echo "b-exit $?"; wait',
    );
    assert.match(r.out, /a-took/);
    assert.match(r.out, /==>lvs:locked\n20261130-1-aaaa ctl-a 101 2026-11-30T03:00:00.000Z\nb-exit 91/);
  });

  test('a lock whose shell is gone is stale: the next run takes it over', () => {
    const r = inScratch('sh -c "$TAKE_A"; sh -c "$TAKE_B; echo b-took"');
    assert.match(r.out, /b-took/);
  });

  test('a host another run changed after the facts were read refuses the apply (exit 92)', () => {
    const r = inScratch(
      `sh -c "$RUN_A"; sh -c "$TAKE_B; echo b-took"; echo "b-exit $?"; [ "$(cat /var/lib/lvs-deploy/last-run)" = '${ownerLine(A)}' ] && echo recorded-a`,
    );
    assert.match(r.out, /==>lvs:moved\n20261130-1-aaaa ctl-a 101 2026-11-30T03:00:00.000Z\nb-exit 92/);
    assert.match(r.out, /recorded-a/);
  });
});

test('the CLI line names the holder, its time, pid and control host', () => {
  assert.equal(
    lockError('web2', 91, `==>lvs:locked\n${ownerLine(A)}\n`),
    'another lvs-deploy run holds web2 since 2026-11-30T03:00:00.000Z (pid 101 on ctl-a); nothing applied — run again when it is done',
  );
  assert.match(
    lockError('web2', 92, `==>lvs:moved\n${ownerLine(A)}\n`) ?? '',
    /changed web2 after this run read its facts/,
  );
  assert.equal(lockError('web2', 1, ''), undefined);
});
