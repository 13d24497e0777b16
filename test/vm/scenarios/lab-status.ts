// `lab status --vm` looks inside the VM (issue 11, bug 3): a running qemu with a dead responder on
// one host is DEGRADED, exit 1, naming the host; restarted the same way the lab starts it, the
// lab is up again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quote } from '../../../src/connection/shell.js';
import { responderPidFile, responderStart } from '../../../src/lab/host-init.js';
import { labSpecFromInventory } from '../../../src/lab/spec.js';
import { vmHostExec } from '../../../src/lab/vm/index.js';
import { cli } from '../../helpers/cli.js';
import type { SeedScenario } from './index.js';

export const scenario: SeedScenario = {
  seeds: ['seed-002-dr-keepalived'],
  register: ({ file, inv, state }) => {
    test('lab status --vm checks every host inside the VM: a dead responder is DEGRADED', async () => {
      const ok = await cli(['lab', 'status', '--vm', file]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /: up \(VM running, 5 hosts\)/);
      assert.match(ok.stdout, /^ {2}web1 +192\.168\.100\.20:\d+ +ok$/m);

      const pid = quote(responderPidFile('web1'));
      const stop = await vmHostExec(state(), 'web1', `read p < ${pid} && kill "$p"`);
      assert.equal(stop.code, 0, stop.stderr);
      try {
        const bad = await cli(['lab', 'status', '--vm', file]);
        assert.equal(bad.code, 1, bad.stdout);
        assert.match(bad.stdout, /: DEGRADED \(VM running/);
        assert.match(bad.stdout, /^ {2}web1 .* responder dead$/m);
        assert.match(bad.stdout, /^ {2}web2 .* ok$/m);
      } finally {
        const web1 = labSpecFromInventory(inv()).hosts.find((h) => h.name === 'web1');
        assert.ok(web1);
        const start = await vmHostExec(state(), 'web1', responderStart(web1));
        assert.equal(start.code, 0, start.stderr);
      }
      const again = await cli(['lab', 'status', '--vm', file]);
      assert.equal(again.code, 0, again.stdout);
    });
  },
};
