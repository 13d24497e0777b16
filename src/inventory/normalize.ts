// Raw (schema-checked) inventory → the typed Inventory later stages use: SSH settings merged per
// host, real-server addresses resolved, secrets read. Secret problems are reported with their path.
import { resolve } from 'node:path';
import type { Forwarding } from '../model/types.js';
import type { PathKey } from './locate.js';
import { hostAddressOfFamily, ipFamily } from './net.js';
import type { RawInventory } from './schema.js';
import { expandPath, resolveSecret, Secret } from './secrets.js';
import type { HostSpec, Inventory, SshSettings, VirtualService, VrrpSettings } from './types.js';

interface Options {
  file: string;
  name: string;
  baseDir: string;
  /** Leave secrets unread (lab commands need the topology, not the VRRP password). */
  skipSecrets?: boolean;
}

interface Result {
  inventory: Inventory;
  problems: { path: PathKey[]; message: string }[];
}

/** keepalived 2.2.x silently cuts auth_pass to 8 characters. */
const AUTH_PASS_MAX = 8;

function mergeSsh(base: SshSettings, over: Partial<SshSettings> | undefined, baseDir: string): SshSettings {
  const merged: SshSettings = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  merged.known_hosts = expandPath(merged.known_hosts, baseDir);
  if (merged.identity !== undefined) merged.identity = expandPath(merged.identity, baseDir);
  return merged;
}

function hosts(raw: RawInventory, baseDir: string): Record<string, HostSpec> {
  const out: Record<string, HostSpec> = {};
  for (const [name, h] of Object.entries(raw.hosts)) {
    out[name] = {
      name,
      ...h,
      interfaces: h.interfaces ?? {},
      ssh: mergeSsh(raw.ssh, h.ssh, baseDir),
    };
  }
  return out;
}

/** A real server named by host: its address of the VIP's family (dual-stack hosts serve both). */
function rsHostAddress(raw: RawInventory, host: string | undefined, vip: string): string {
  const h = host !== undefined && Object.hasOwn(raw.hosts, host) ? raw.hosts[host] : undefined;
  return h ? hostAddressOfFamily(h, ipFamily(vip)) : '';
}

function services(raw: RawInventory): VirtualService[] {
  return raw.services.map(({ protocol, port, fwmark, real_servers, ...s }) => ({
    ...s,
    family: ipFamily(s.vip) === 6 ? 6 : 4,
    // A fwmark service has neither protocol nor port; any other is tcp unless it says otherwise.
    ...(fwmark === undefined ? { protocol: protocol ?? 'tcp', port } : { fwmark }),
    real_servers: real_servers.map((rs) => {
      const forwarding: Forwarding = rs.forwarding ?? s.forwarding;
      return {
        ...rs,
        address: rs.address ?? rsHostAddress(raw, rs.host, s.vip),
        port: rs.port ?? port ?? 0,
        forwarding,
      };
    }),
  }));
}

function vrrp(
  raw: RawInventory,
  baseDir: string,
  problems: Result['problems'],
  skipSecrets = false,
): VrrpSettings | undefined {
  const v = raw.directors.vrrp;
  if (!v) return undefined;
  const { auth_pass: ref, ...rest } = v;
  const out: VrrpSettings = { ...rest };
  if (ref && skipSecrets) out.auth_pass = new Secret('', 'not read (lab commands need no secrets)');
  else if (ref) {
    const path: PathKey[] = ['directors', 'vrrp', 'auth_pass'];
    const secret = resolveSecret(ref, baseDir);
    if (!(secret instanceof Secret)) problems.push({ path, message: secret });
    else if (secret.reveal().length > AUTH_PASS_MAX) {
      problems.push({
        path,
        message: `the secret from ${secret.source} is longer than ${AUTH_PASS_MAX} characters; keepalived would silently cut it (use at most ${AUTH_PASS_MAX})`,
      });
    } else if (/[\s"'\\{}#!]/.test(secret.reveal())) {
      problems.push({
        path,
        message: `the secret from ${secret.source} contains a space, quote, brace, '#' or '!' that keepalived.conf cannot hold`,
      });
    } else out.auth_pass = secret;
  }
  return out;
}

export function normalize(raw: RawInventory, opts: Options): Result {
  const problems: Result['problems'] = [];
  const ssh = mergeSsh(raw.ssh, undefined, opts.baseDir);
  const v = vrrp(raw, opts.baseDir, problems, opts.skipSecrets);
  const { vrrp: _ignored, sync_daemon, ...directorRest } = raw.directors;
  const inventory: Inventory = {
    file: opts.file,
    name: opts.name,
    ssh,
    hosts: hosts(raw, opts.baseDir),
    directors: {
      ...directorRest,
      ...(sync_daemon
        ? {
            sync_daemon: {
              interface: sync_daemon.interface,
              id: sync_daemon.id ?? v?.virtual_router_id ?? 1,
            },
          }
        : {}),
      ...(v ? { vrrp: v } : {}),
    },
    services: services(raw),
    ...(raw.verify ? { verify: raw.verify } : {}),
    ...(raw.real_servers_sysctls ? { real_servers_sysctls: raw.real_servers_sysctls } : {}),
    groups: Object.fromEntries(
      Object.entries(raw.groups ?? {}).map(([n, g]) => [n, { hosts: g.hosts, vars: g.vars }]),
    ),
    roles_path: (raw.roles_path ?? []).map((p) => resolve(opts.baseDir, p)),
    templates_path: (raw.templates_path ?? ['./templates']).map((p) => resolve(opts.baseDir, p)),
  };
  return { inventory, problems };
}
