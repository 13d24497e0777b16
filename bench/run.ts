// npm run bench [-- --hosts 50 --runs 3 --scaling 10,25,50,100 --no-ansible --quick]
// Converge an N-host netns lab (2 keepalived directors + N−2 DR real servers) with lvs-deploy and
// with Ansible in one run, against the OpenSSH floor; print the table and write it to
// bench/results/<date>-<nproc>cpu.md. Needs root. The lab is always torn down, also on error or
// SIGINT. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadInventory } from '../src/inventory/load.js';
import type { LabState } from '../src/lab/netns.js';
import { ansibleAvailable, prepareAnsible } from './ansible-prep.js';
import { type BenchTopology, inventoryYaml, topology, VRRP_ENV } from './inventory.js';
import { closeAllLabs, closeLab, freshLab, type Snapshot, snapshot, snapshotDiff } from './lab.js';
import {
  ansibleRun,
  children,
  chooseCli,
  cliArgv,
  exec,
  lvsStatus,
  lvsUp,
  opensshFloor,
  ROOT,
  type Startup,
  startup,
  type ToolRun,
  transportFloor,
} from './measure.js';
import { type MainResult, renderReport, type SizeResult } from './report.js';

interface Options {
  hosts: number;
  runs: number;
  scaling: number[];
  ansible: boolean;
  noBuild: boolean;
  stateOut?: string;
  out?: string;
  argv: string[];
}

const USAGE = `usage: npm run bench -- [--hosts 50] [--runs 3] [--scaling 10,25,50,100] [--no-ansible] [--quick]
  --quick          1 run, no scaling sizes other than --hosts (unless given)
  --out F          write the table to F instead of bench/results/<date>-<nproc>cpu.md
  --no-build       measure dist/ as it is, even when older than src/
  --state-out F    also write the end state both tools left on every host as JSON (smoke test)`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string' },
      runs: { type: 'string' },
      scaling: { type: 'string' },
      'no-ansible': { type: 'boolean' },
      quick: { type: 'boolean' },
      'state-out': { type: 'string' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (text: string, flag: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`${flag} expects an integer ≥ ${min}, got "${text}"`);
    return n;
  };
  const hosts = int(values.hosts ?? '50', '--hosts', 3);
  const runs = int(values.runs ?? (values.quick ? '1' : '3'), '--runs', 1);
  const scaling = (values.scaling ?? (values.quick ? String(hosts) : '10,25,50,100'))
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => int(s.trim(), '--scaling', 3));
  return {
    hosts,
    runs,
    scaling: [...new Set(scaling)].sort((a, b) => a - b),
    ansible: !values['no-ansible'],
    noBuild: values['no-build'] ?? false,
    ...(values['state-out'] ? { stateOut: values['state-out'] } : {}),
    ...(values.out ? { out: values.out } : {}),
    argv,
  };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Lab {
  topo: BenchTopology;
  file: string;
  fresh: () => Promise<LabState>;
}

async function prepareLab(n: number, tmp: string): Promise<Lab> {
  const topo = topology(n);
  const file = join(tmp, `${topo.name}.yaml`);
  writeFileSync(file, inventoryYaml(topo));
  const inv = await loadInventory(file);
  return { topo, file, fresh: () => freshLab(inv, topo) };
}

function check(run: ToolRun, what: string): ToolRun {
  log(`${what}: ${s(run.ms)}${run.ok ? '' : ` FAILED: ${run.error ?? ''}`}`);
  return run;
}

const load1 = () => loadavg()[0] ?? 0;

/** MemAvailable in MiB: the lab's memory is what it takes away from the machine. */
function memAvailableMb(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Floors and lvs-deploy cold/no-op at one size; the lab is fresh (down + up) before each cold run. */
async function measureSize(lab: Lab, runs: number, tmp: string, extra?: (state: LabState) => Promise<void>) {
  const n = lab.topo.hosts.length;
  const memBefore = memAvailableMb();
  const labStarted = performance.now();
  let state = await lab.fresh();
  const size: SizeResult = {
    hosts: n,
    floorAll: [],
    transport: [],
    lvsCold: [],
    lvsNoop: [],
    labUpMs: performance.now() - labStarted,
    labMemMb: memBefore - memAvailableMb(),
    load: [load1()],
  };
  log(`${n} hosts: lab up ${s(size.labUpMs)}, ${size.labMemMb.toFixed(0)} MiB`);
  const names = lab.topo.hosts.map((h) => h.name);
  for (let i = 0; i < runs; i++) {
    size.floorAll.push(await opensshFloor(state, names));
    size.transport.push(await transportFloor(state, lab.file));
    log(
      `${n} hosts: OpenSSH floor ${s(size.floorAll[i] as number)}, ssh2 floor ${s(size.transport[i]?.ms ?? 0)}`,
    );
  }
  await extra?.(state);
  for (let i = 0; i < runs; i++) {
    if (i > 0) state = await lab.fresh();
    size.lvsCold.push(check(await lvsUp(state, lab.file, n, tmp), `${n} hosts: lvs-deploy cold #${i + 1}`));
    size.lvsNoop.push(check(await lvsUp(state, lab.file, n, tmp), `${n} hosts: lvs-deploy no-op #${i + 1}`));
  }
  size.load.push(load1());
  return { size, state };
}

async function measureMain(
  o: Options,
  tmp: string,
): Promise<{ main: MainResult; snaps?: { lvs: Snapshot; ansible: Snapshot } }> {
  const lab = await prepareLab(o.hosts, tmp);
  const floorOne: number[] = [];
  const starts: Startup[] = [];
  const oneHost = lab.topo.hosts.find((h) => h.role === 'realserver')?.name ?? 'rs1';
  const { size, state: afterLvs } = await measureSize(lab, o.runs, tmp, async (state) => {
    for (let i = 0; i < o.runs; i++) {
      floorOne.push(await opensshFloor(state, [oneHost]));
      // Start-up is measured several times per run: it is short and the machine is shared.
      for (let j = 0; j < 3; j++) starts.push(await startup(lab.file));
    }
    log(
      `1 host floor ${s(floorOne[0] as number)}; --version ${s(starts[0]?.version ?? 0)}, validate ${s(starts[0]?.validate ?? 0)}`,
    );
  });
  const status: number[] = [];
  // keepalived has just been started by `up`: let VRRP elect a MASTER before timing (≤ 10 s).
  for (let i = 0; i < 10 && (await lvsStatus(afterLvs, lab.file)).alarms.length > 0; i++)
    await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < o.runs; i++) {
    const r = await lvsStatus(afterLvs, lab.file);
    if (!r.ok) throw new Error(`lvs-deploy status failed: ${r.error ?? ''}`);
    status.push(r.ms);
    log(
      `${o.hosts} hosts: lvs-deploy status #${i + 1} ${s(r.ms)}${r.alarms.length > 0 ? ` (alarms: ${r.alarms.join('; ')})` : ''}`,
    );
  }
  const lvsSnap = await snapshot(afterLvs);
  let ansible: MainResult['ansible'];
  let parity: string[] | undefined;
  let snaps: { lvs: Snapshot; ansible: Snapshot } | undefined;
  const version = o.ansible ? await ansibleAvailable() : undefined;
  if (!o.ansible) ansible = { skipped: '--no-ansible' };
  else if (!version) ansible = { skipped: 'ansible-playbook not installed (apt-get install ansible-core)' };
  else {
    const dir = join(tmp, 'ansible');
    mkdirSync(dir, { recursive: true });
    const cold: ToolRun[] = [];
    const noop: ToolRun[] = [];
    let state = afterLvs;
    for (let i = 0; i < o.runs; i++) {
      state = await lab.fresh();
      if (i === 0) await prepareAnsible(state, lab.topo, lab.file, dir);
      cold.push(check(await ansibleRun(state, dir), `${o.hosts} hosts: Ansible cold #${i + 1}`));
      noop.push(check(await ansibleRun(state, dir), `${o.hosts} hosts: Ansible no-op #${i + 1}`));
    }
    ansible = { cold, noop };
    const ansibleSnap = await snapshot(state);
    parity = snapshotDiff(lvsSnap, ansibleSnap);
    snaps = { lvs: lvsSnap, ansible: ansibleSnap };
  }
  await closeLab(lab.topo.name);
  return {
    main: { ...size, floorOne, startup: starts, status, ansible, parity },
    ...(snaps ? { snaps } : { snaps: { lvs: lvsSnap, ansible: {} } }),
  };
}

async function machine(): Promise<{ header: string[]; nproc: number }> {
  const nproc = Number((await exec(['nproc'])).stdout.trim()) || cpus().length;
  const ssh = (await exec(['ssh', '-V'])).stderr.trim();
  const ansible = (await ansibleAvailable()) ?? 'ansible: not installed';
  const mem = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const cpu = cpus()[0]?.model ?? '?';
  return {
    nproc,
    header: [
      `machine: nproc ${nproc} (${cpu}), memory ${mem}, kernel ${release()}; load average at start ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
      `software: Node ${process.version}, ${ssh}, ${ansible}`,
    ],
  };
}

async function main(o: Options): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces): sudo npm run bench');
  if (!process.env[VRRP_ENV]) process.env[VRRP_ENV] = randomBytes(6).toString('base64url').slice(0, 8);
  await chooseCli(o.noBuild, log);
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'lvs-bench-'));
  try {
    const { header, nproc } = await machine();
    const { main: m, snaps } = await measureMain(o, tmp);
    const scaling: SizeResult[] = [];
    for (const n of o.scaling) {
      if (n === o.hosts) {
        scaling.push(m);
        continue;
      }
      const lab = await prepareLab(n, tmp);
      const { size } = await measureSize(lab, o.runs, tmp);
      await closeLab(lab.topo.name);
      scaling.push(size);
    }
    const date = new Date().toISOString().slice(0, 10);
    const title = `lvs-deploy bench — ${o.hosts} hosts, ${date}, ${nproc} CPU`;
    const report = renderReport({
      title,
      header: [
        `command: \`npm run bench${o.argv.length ? ` -- ${o.argv.join(' ')}` : ''}\` (whole bench ${((Date.now() - started) / 1000).toFixed(0)} s)`,
        ...header,
        `load average at end ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')} (other work on this machine skews the times: compare ratios within one run)`,
        `topology: ${o.hosts} hosts = 2 keepalived directors (unicast VRRP, auth_pass from $${VRRP_ENV}) + ${o.hosts - 2} LVS-DR real servers, one netns lab (own sshd per host, private /etc /var /run /root /usr/local)`,
        'IPVS: this kernel has none, so both tools leave out exactly the IPVS part — ip_vs modules, net.ipv4.vs.* sysctls, the IPVS table (`lvs-deploy up --without-ipvs`; the playbook has no such tasks; on the directors `keepalived` is a shim running `keepalived --vrrp`, because its checker, which programs the IPVS table, exits FATAL without IPVS)',
        'cold: `lvs-deploy lab down` + `lab up` before every cold run — fresh namespaces and sshd, nothing of either tool left; no-op: the same command again right after',
        `lvs-deploy: ${cliArgv().how}, \`up --without-ipvs --json --concurrency N\`; wall time of the whole process in the control namespace (node start included)`,
        'Ansible: `bench/ansible/site.yml`, ansible.builtin only, forks max(50, N), pipelining, ControlPersist=60s (fresh ControlPath per run), gather_facts false, interpreter fixed, default callback',
        'floor: OpenSSH client, lab key, StrictHostKeyChecking=yes with the lab known_hosts, BatchMode, no ControlMaster, all processes at once from one shell',
      ],
      main: m,
      scaling,
    });
    process.stdout.write(`${report}\n`);
    const dir = join(ROOT, 'bench', 'results');
    const out = o.out ?? join(dir, `${date}-${nproc}cpu.md`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, report);
    log(`written ${out}`);
    if (o.stateOut)
      writeFileSync(o.stateOut, `${JSON.stringify({ ...snaps, parity: m.parity ?? null }, null, 2)}\n`);
    const failed =
      [m, ...scaling].some((x) => [...x.lvsCold, ...x.lvsNoop].some((r) => !r.ok)) ||
      ('cold' in m.ansible && [...m.ansible.cold, ...m.ansible.noop].some((r) => !r.ok)) ||
      (m.parity !== undefined && m.parity.length > 0);
    return failed ? 1 : 0;
  } finally {
    await closeAllLabs();
    rmSync(tmp, { recursive: true, force: true });
  }
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: tearing the lab down`);
  for (const c of children) c.kill('SIGTERM');
  await closeAllLabs();
  process.exit(130);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
  process.exitCode = await main(parseOptions(process.argv.slice(2)));
} catch (err) {
  if (!stopping) {
    log(`failed: ${(err as Error).message}`);
    await closeAllLabs();
    process.exitCode = 1;
  }
}
