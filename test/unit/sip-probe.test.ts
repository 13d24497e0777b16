// verify's sip probe against the lab's real responder, both run for real (perl) inside a
// throwaway network namespace: every OPTIONS, over UDP and over TCP, gets a SIP answer that names
// the responder's host; a port nobody answers counts as failed. The root namespace is untouched.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { VirtualService } from '../../src/inventory/types.js';
import { RESPONDER_PL } from '../../src/lab/host-init.js';
import { type ProbeSpec, parseProbeOutput, probeScript } from '../../src/verify/probes.js';

const NS = `lvs-sip-${process.pid}`;
const skip =
  process.getuid?.() !== 0
    ? 'needs root (ip netns)'
    : spawnSync('ip', ['netns', 'list']).status !== 0
      ? 'ip netns is not available'
      : false;

function spec(protocol: 'udp' | 'tcp', port: number, requests = 4): ProbeSpec {
  const service: VirtualService = {
    name: 'sip',
    vip: '127.0.0.1',
    family: 4,
    protocol,
    port,
    scheduler: 'rr',
    flags: [],
    ops: false,
    forwarding: 'nat',
    real_servers: [{ host: 'sip1', address: '127.0.0.1', port, weight: 1, forwarding: 'nat' }],
  };
  return { service, probe: { service: 'sip', tcp: false, udp: false, sip: true, requests } };
}

describe('the sip probe gets a SIP answer naming the real server', { skip }, () => {
  let responder: ChildProcess | undefined;
  before(async () => {
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
    spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    responder = spawn(
      'ip',
      ['netns', 'exec', NS, 'perl', '-e', RESPONDER_PL, 'sip1', 'udp:4:5060:', 'tcp:4:5060:'],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((r) => setTimeout(r, 500));
  });
  after(() => {
    responder?.kill();
    spawnSync('ip', ['netns', 'del', NS]);
  });

  test('OPTIONS over UDP and TCP: every request answered by sip1; a silent port fails', () => {
    const specs = [spec('udp', 5060), spec('tcp', 5060, 2), spec('udp', 5099, 1)];
    const r = spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', probeScript(specs)], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const [udp, tcp, silent] = parseProbeOutput(r.stdout, specs);
    assert.deepEqual(udp?.answers, ['sip1', 'sip1', 'sip1', 'sip1'], r.stdout + r.stderr);
    assert.deepEqual(tcp?.answers, ['sip1', 'sip1'], r.stdout + r.stderr);
    assert.deepEqual(silent?.answers, [null]);
    assert.deepEqual(silent?.failures, ['sip-no-answer']);
  });
});
