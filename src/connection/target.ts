// Who to connect to for a host of the inventory: its address, port, user, key, known_hosts and
// jump host, as one SshTarget. The one place target settings are resolved, the lab's override
// included, so the transport just connects to what it is given.
import type { Inventory } from '../inventory/types.js';

export interface SshTarget {
  /** Inventory name, used in messages. */
  host: string;
  /** What to connect to (IP or DNS name); also the name looked up in known_hosts. */
  address: string;
  port: number;
  user: string;
  /** Private key file; without it, the ssh-agent at SSH_AUTH_SOCK. */
  identity?: string;
  knownHosts: string;
  hostKeyPolicy: 'strict' | 'accept-new';
  /** Run scripts through `sudo -n` (skipped when user is root). */
  become: boolean;
  jump?: SshTarget;
  connectTimeoutMs: number;
  /** Extra attempts after an unreachable/timeout failure; never after auth or host key errors. */
  retries: number;
}

export interface ConnectOptions {
  /** One line per notable event (new host key recorded, retry). */
  log?: (line: string) => void;
  /** First retry delay; doubles per attempt, capped at 2 s (default 250 ms). */
  retryDelayMs?: number;
}

function targetFor(inv: Inventory, name: string, seen: string[] = []): SshTarget {
  const h = inv.hosts[name];
  if (!h) throw new Error(`unknown host ${name}`);
  const s = h.ssh;
  let jump: SshTarget | undefined;
  if (s.jump && !seen.includes(s.jump)) {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(s.jump);
    jump = inv.hosts[s.jump]
      ? targetFor(inv, s.jump, [...seen, name])
      : {
          host: s.jump,
          address: (m?.[2] ?? s.jump).replace(/^\[|\]$/g, ''),
          port: Number(m?.[3] ?? 22),
          user: m?.[1] ?? s.user,
          ...(s.identity ? { identity: s.identity } : {}),
          knownHosts: s.known_hosts,
          hostKeyPolicy: s.host_key_policy,
          become: false,
          connectTimeoutMs: s.connect_timeout * 1000,
          retries: 2,
        };
  }
  return {
    host: name,
    address: h.address,
    port: s.port,
    user: s.user,
    ...(s.identity ? { identity: s.identity } : {}),
    knownHosts: s.known_hosts,
    hostKeyPolicy: s.host_key_policy,
    become: s.become,
    ...(jump ? { jump } : {}),
    connectTimeoutMs: s.connect_timeout * 1000,
    retries: 2,
  };
}
/**
 * `lvs-deploy lab exec` sets LVS_DEPLOY_LAB_IDENTITY and LVS_DEPLOY_LAB_KNOWN_HOSTS so any
 * inventory runs unchanged against its lab: the lab's key and known_hosts replace the
 * inventory's, for the target and its jump hosts alike.
 */
export function applyLabOverrides(t: SshTarget, env: NodeJS.ProcessEnv = process.env): SshTarget {
  const identity = env.LVS_DEPLOY_LAB_IDENTITY;
  const knownHosts = env.LVS_DEPLOY_LAB_KNOWN_HOSTS;
  return {
    ...t,
    ...(identity ? { identity } : {}),
    ...(knownHosts ? { knownHosts } : {}),
    ...(t.jump ? { jump: applyLabOverrides(t.jump, env) } : {}),
  };
}

/** The target for inventory host `name`, with the lab's credentials when run by `lab exec`. */
export function resolveTarget(inv: Inventory, name: string, env: NodeJS.ProcessEnv = process.env): SshTarget {
  return applyLabOverrides(targetFor(inv, name), env);
}
