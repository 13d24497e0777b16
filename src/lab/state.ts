// The lab state dir, /var/lib/lvs-deploy/lab/<labname>/: keys, known_hosts, pids and state.json.
// Readable (read-only) inside the VM lab through 9p, so it holds nothing the guest must write.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LvsError } from '../errors.js';
import type { LabSpec } from './spec.js';

const run = promisify(execFile);

const LAB_STATE_ROOT = '/var/lib/lvs-deploy/lab';

/** A lab could not be built, reached or torn down. Exit code 1. */
export class LabError extends LvsError {
  constructor(message: string) {
    super('lab', message, 1);
  }
}

export interface LabHostState {
  address: string;
  port: number;
  namespace: string;
  pids: { anchor?: number; sshd?: number; responder?: number };
}

export interface LabState {
  kind: 'netns' | 'vm';
  name: string;
  id: string;
  /** Hash of the spec it was built from: `up` with the same inventory is a no-op. */
  specHash: string;
  stateDir: string;
  switchNs: string;
  controlNs: string;
  namespaces: string[];
  hosts: Record<string, LabHostState>;
  createdAt: string;
}

export function stateDirOf(labName: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(labName))
    throw new LabError(`lab name not usable as a directory: ${labName}`);
  return join(LAB_STATE_ROOT, labName);
}

export const labFiles = (dir: string) => ({
  identity: join(dir, 'id_ed25519'),
  knownHosts: join(dir, 'known_hosts'),
  state: join(dir, 'state.json'),
  hostKey: (host: string) => join(dir, 'hostkeys', host),
  pid: (host: string, kind: string) => join(dir, 'pids', `${host}.${kind}`),
  log: (host: string, kind: string) => join(dir, 'logs', `${host}-${kind}.log`),
});

/**
 * OpenSSH's argv to a lab host with the lab's own key and known_hosts (strict), never the
 * user's ~/.ssh: `options` are extra `-o` settings, the command (if any) follows.
 */
export function labSshArgs(
  stateDir: string,
  target: { address: string; port: number; user?: string },
  options: string[] = [],
): string[] {
  const f = labFiles(stateDir);
  const base = [
    'IdentitiesOnly=yes',
    `UserKnownHostsFile=${f.knownHosts}`,
    'StrictHostKeyChecking=yes',
    'BatchMode=yes',
    ...options,
  ];
  return [
    'ssh',
    '-F',
    'none',
    '-i',
    f.identity,
    ...base.flatMap((o) => ['-o', o]),
    '-p',
    String(target.port),
    `${target.user ?? 'root'}@${target.address}`,
  ];
}

export function specHash(spec: LabSpec): string {
  return createHash('sha1').update(JSON.stringify(spec)).digest('hex');
}

async function keygen(file: string, comment: string): Promise<void> {
  if (existsSync(file) && existsSync(`${file}.pub`)) return;
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** The lab client key and one host key per host (kept across ups), and a fresh known_hosts. */
export async function ensureKeys(dir: string, spec: LabSpec): Promise<void> {
  await mkdir(join(dir, 'hostkeys'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'logs'), { recursive: true });
  const f = labFiles(dir);
  await Promise.all([
    keygen(f.identity, `lvs-deploy-lab-${spec.name}`),
    ...spec.hosts.map((h) => keygen(f.hostKey(h.name), `${h.name}@lvs-lab-${spec.name}`)),
  ]);
  const lines = await Promise.all(
    spec.hosts.map(async (h) => {
      const [type, key] = (await readFile(`${f.hostKey(h.name)}.pub`, 'utf8')).trim().split(/\s+/);
      const target = h.sshPort === 22 ? h.address : `[${h.address}]:${h.sshPort}`;
      return `${target} ${type} ${key}`;
    }),
  );
  await writeFile(f.knownHosts, `${lines.join('\n')}\n`);
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const n = Number.parseInt(text.trim(), 10);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export async function collectState(dir: string, spec: LabSpec, namespaces: string[]): Promise<LabState> {
  const f = labFiles(dir);
  const hosts: Record<string, LabHostState> = {};
  for (const h of spec.hosts) {
    const [anchor, sshd, responder] = await Promise.all(
      ['anchor', 'sshd', 'responder'].map((k) => readPid(f.pid(h.name, k))),
    );
    hosts[h.name] = {
      address: h.address,
      port: h.sshPort,
      namespace: h.namespace,
      pids: { anchor, sshd, responder },
    };
  }
  return {
    kind: 'netns',
    name: spec.name,
    id: spec.id,
    specHash: specHash(spec),
    stateDir: dir,
    switchNs: spec.switchNs,
    controlNs: spec.controlNs,
    namespaces,
    hosts,
    createdAt: new Date().toISOString(),
  };
}

export async function readState(dir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(labFiles(dir).state, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export async function writeState(state: LabState): Promise<void> {
  await writeFile(labFiles(state.stateDir).state, `${JSON.stringify(state, null, 2)}\n`);
}
