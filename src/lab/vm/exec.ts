// Commands on VM lab hosts, from the host: ssh from the control namespace with the lab's key and
// known_hosts, multiplexed so that only the first command per host pays for a handshake.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { LabError, type LabState, labSshArgs } from '../state.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** ssh ControlMaster sockets; short path (sun_path is 108 bytes), one dir per lab. */
export const muxDir = (id: string) => `/run/lvs-deploy/vm-${id}`;

/** End the ssh master for one host (it would keep the control namespace alive). */
export function closeMux(state: LabState, address: string, port: number): Promise<void> {
  const args = [
    '-F',
    'none',
    '-o',
    `ControlPath=${muxDir(state.id)}/%C`,
    '-p',
    String(port),
    '-O',
    'exit',
    `root@${address}`,
  ];
  return new Promise((resolve) => execFile('ssh', args, { timeout: 5000 }, () => resolve()));
}

/**
 * Run a shell command on a lab host inside the VM: ssh as root from the control namespace with the
 * lab key, the host key pinned by the lab's known_hosts.
 */
export function vmHostExec(
  state: LabState,
  host: string,
  command: string,
  opts: { connectTimeout?: number; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const h = state.hosts[host];
  if (!h) return Promise.reject(new LabError(`lab ${state.name} has no host ${host}`));
  mkdirSync(muxDir(state.id), { recursive: true, mode: 0o700 });
  const args = [
    'netns',
    'exec',
    state.controlNs,
    ...labSshArgs(state.stateDir, { address: h.address, port: h.port }, [
      `ConnectTimeout=${opts.connectTimeout ?? 10}`,
      'LogLevel=ERROR',
      // A handshake costs 1-5 s against an emulated sshd; a multiplexed command ~0.1 s.
      'ControlMaster=auto',
      `ControlPath=${muxDir(state.id)}/%C`,
      'ControlPersist=120',
    ]),
    '--',
    command,
  ];
  return new Promise((resolve) => {
    execFile(
      'ip',
      args,
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 255) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
