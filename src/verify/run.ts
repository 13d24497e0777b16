// `verify`: read every host (one facts round trip each, in parallel), send real traffic from the
// client, and judge both. Nothing on any host is changed.
import { spawn } from 'node:child_process';
import { resolveTarget, type SshTarget } from '../connection/target.js';
import type { RunResult, Transport } from '../connection/transport.js';
import { parseFacts } from '../facts/parse.js';
import { factQuery, factsScript } from '../facts/script.js';
import type { Inventory } from '../inventory/types.js';
import type { HostFacts } from '../model/facts.js';
import type { DesiredHost } from '../model/types.js';
import { vrrpClashChecks } from '../preflight/run.js';
import { type Check, floatingChecks, hostChecks, judgeTraffic, type ServiceVerdict } from './checks.js';
import { parseProbeOutput, probeScript, probesFor } from './probes.js';

export interface VerifyReport {
  checks: Check[];
  services: ServiceVerdict[];
  ok: boolean;
}

export interface VerifyOptions {
  connect: (t: SshTarget) => Promise<Transport>;
  progress: (line: string) => void;
  /** Read only these hosts (default: every director and real server). */
  limit?: string[];
  /** Probe only these services (default: every probe of the inventory). */
  services?: string[];
}

/** Directors that should run an IPVS table but whose kernel has none (the netns lab). */
function withoutIpvs(desired: Map<string, DesiredHost>, facts: Map<string, HostFacts>): string[] {
  return [...facts]
    .filter(([h, f]) => !f.ipvsAvailable && (desired.get(h)?.ipvs.length ?? 0) > 0)
    .map(([h]) => h);
}

export function runLocal(script: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: Date.now() - started,
      }),
    );
    child.stdin.end(script);
  });
}

async function withHost<T>(
  inv: Inventory,
  host: string,
  o: VerifyOptions,
  fn: (t: Transport) => Promise<T>,
): Promise<T> {
  const t = await o.connect(resolveTarget(inv, host));
  try {
    return await fn(t);
  } finally {
    await t.close().catch(() => undefined);
  }
}

/** One host's facts, in one round trip. */
async function readFacts(inv: Inventory, d: DesiredHost, o: VerifyOptions): Promise<HostFacts> {
  const r = await withHost(inv, d.host, o, (t) => t.run(factsScript(factQuery(d))));
  if (r.code !== 0)
    throw new Error(`facts script failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return parseFacts(r.stdout);
}

/**
 * Who holds each VRRP address. Right after keepalived starts (an `up` a moment ago) the directors
 * may still be electing: a BACKUP waits 3 × advert_int before it takes over. So an address held
 * by none or by two is read once more after that interval before it counts as a failure.
 */
async function settledFloatingChecks(
  inv: Inventory,
  desired: Map<string, DesiredHost>,
  facts: Map<string, HostFacts>,
  o: VerifyOptions,
): Promise<Check[]> {
  const first = floatingChecks(inv, desired, facts);
  if (first.every((c) => c.ok)) return first;
  const waitMs = Math.ceil(3 * (inv.directors.vrrp?.advert_int ?? 1) + 1) * 1000;
  o.progress(
    `VRRP addresses not settled (${first
      .filter((c) => !c.ok)
      .map((c) => c.detail)
      .join('; ')}): reading the directors again in ${waitMs / 1000} s`,
  );
  await new Promise((r) => setTimeout(r, waitMs));
  await Promise.all(
    inv.directors.hosts.map(async (name) => {
      const d = desired.get(name);
      if (!d || !facts.has(name)) return;
      try {
        facts.set(name, await readFacts(inv, d, o));
      } catch {
        // unreachable now: keep what was read the first time
      }
    }),
  );
  return floatingChecks(inv, desired, facts);
}

export async function verify(
  inv: Inventory,
  desired: Map<string, DesiredHost>,
  o: VerifyOptions,
): Promise<VerifyReport> {
  const managed = [...desired.values()].filter(
    (d) =>
      (d.kinds.includes('director') || d.kinds.includes('realserver')) &&
      (o.limit === undefined || o.limit.includes(d.host)),
  );
  const facts = new Map<string, HostFacts>();
  const checks: Check[] = [];
  o.progress(`reading ${managed.length} host(s)`);
  // Listens a few advert intervals on each director, side by side with the reading.
  const clashes = vrrpClashChecks(inv, { connect: o.connect });
  await Promise.all(
    managed.map(async (d) => {
      try {
        const f = await readFacts(inv, d, o);
        facts.set(d.host, f);
        checks.push(...hostChecks(d, f, inv.file));
      } catch (err) {
        checks.push({
          host: d.host,
          check: 'reach',
          ok: false,
          detail: (err as Error).message,
          fix: 'check the host is up and reachable over SSH',
        });
      }
    }),
  );
  // Who holds a VRRP address can only be judged with every director read.
  if (inv.directors.hosts.every((h) => managed.some((d) => d.host === h)))
    checks.push(...(await settledFloatingChecks(inv, desired, facts, o)));
  checks.push(
    ...(await clashes).filter(
      (c) => c.check !== 'reach' || !checks.some((x) => x.host === c.host && x.check === 'reach'),
    ),
  );
  const specs = probesFor(inv).filter((s) => o.services === undefined || o.services.includes(s.service.name));
  const from = inv.verify?.from ?? 'control';
  const noIpvs = withoutIpvs(desired, facts);
  const readDirectors = inv.directors.hosts.filter((h) => facts.has(h));
  if (specs.length > 0 && readDirectors.length > 0 && noIpvs.length === readDirectors.length) {
    // No director can forward: every request would time out, and the failure would point at
    // keepalived or the real servers. Say what is wrong once, with the fix, and send nothing.
    checks.push({
      host: noIpvs.join('+'),
      check: 'traffic',
      ok: false,
      detail: `not sent: no director's kernel has IPVS (${noIpvs.join(', ')}), so no request through a VIP can pass`,
      fix: `use a kernel with IPVS; in a lab: lvs-deploy lab down ${inv.file} && lvs-deploy lab up --vm ${inv.file}`,
    });
    return {
      checks: checks.sort((a, b) => a.host.localeCompare(b.host)),
      services: [],
      ok: false,
    };
  }
  o.progress(
    `sending traffic from ${from}: ${specs.map((s) => `${s.probe.requests}× ${s.service.name}`).join(', ')}`,
  );
  const script = probeScript(specs);
  let output = '';
  try {
    const r =
      from === 'control'
        ? await runLocal(script)
        : await withHost(inv, from, o, (t) => t.run(script, { timeoutMs: 300_000 }));
    output = r.stdout;
  } catch (err) {
    checks.push({
      host: from,
      check: 'probe',
      ok: false,
      detail: (err as Error).message,
      fix: 'the probe host must be reachable over SSH',
    });
  }
  const macOwners = new Map<string, string>();
  for (const [host, f] of facts)
    for (const l of f.links) if (l.mac && l.name !== 'lo') macOwners.set(l.mac, host);
  const services = parseProbeOutput(output, specs).map((p) => judgeTraffic(inv, p, macOwners));
  return {
    checks: checks.sort((a, b) => a.host.localeCompare(b.host)),
    services,
    ok: checks.every((c) => c.ok) && services.every((s) => s.ok),
  };
}
