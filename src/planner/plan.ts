// planHost: desired state × facts → ordered changes. Pure and synchronous: the heart of
// idempotence (a converged host plans nothing) and of `plan`.

import { sameEffect } from '../import/effect.js';
import { cidrContains, parseCidr } from '../inventory/net.js';
import type { HostFacts } from '../model/facts.js';
import type { DesiredAddress, DesiredHost, DesiredRoute } from '../model/types.js';
import type { Change } from './changes.js';
import { planIpvs } from './ipvs.js';
import { kernelBlockers, validateFor, versionBlockers } from './versions.js';

export interface HostPlan {
  host: string;
  changes: Change[];
  /** Reasons the host must not be touched at all (e.g. no IPVS in the kernel). */
  blockers: string[];
}

const addrKey = (a: DesiredAddress) => `${a.dev} ${a.cidr}`;
const routeMatches = (want: DesiredRoute, have: DesiredRoute) =>
  want.dst === have.dst && want.via === have.via && (want.dev === undefined || want.dev === have.dev);

function planFiles(d: DesiredHost, f: HostFacts, out: Change[]): string[] {
  const changed: string[] = [];
  for (const file of d.files) {
    const cur = f.files[file.path];
    const contentDiffers = cur?.content !== file.content;
    const metaDiffers =
      cur != null && (cur.mode !== file.mode || cur.owner !== file.owner || cur.group !== file.group);
    if (cur !== null && cur !== undefined && !contentDiffers && !metaDiffers) continue;
    out.push({
      kind: 'file',
      action: cur ? 'update' : 'create',
      path: file.path,
      before: cur?.content ?? null,
      after: file.content,
      mode: file.mode,
      owner: file.owner,
      group: file.group,
      secret: file.secret,
      ...(file.validate ? { validate: validateFor(file.validate, f) } : {}),
      ...(!contentDiffers ? { metaOnly: true } : {}),
      ...(contentDiffers && cur && sameEffect(file.path, cur.content, file.content)
        ? { noEffect: true }
        : {}),
    });
    if (contentDiffers) changed.push(file.path);
  }
  const wanted = new Set(d.files.map((x) => x.path));
  for (const owned of f.state?.files ?? []) {
    if (wanted.has(owned.path) || f.files[owned.path] === null) continue;
    out.push({
      kind: 'file',
      action: owned.hadOriginal ? 'restore' : 'remove',
      path: owned.path,
      before: f.files[owned.path]?.content ?? null,
      after: null,
      mode: '',
      owner: '',
      group: '',
      secret: true,
    });
  }
  return changed;
}

function planSysctls(d: DesiredHost, f: HostFacts, out: Change[]): void {
  for (const [key, value] of Object.entries(d.sysctls)) {
    const cur = f.sysctls[key] ?? null;
    if (cur !== value) out.push({ kind: 'sysctl', key, before: cur, after: value });
  }
  for (const [key, original] of Object.entries(f.state?.sysctlOriginals ?? {})) {
    if (key in d.sysctls || original === null) continue;
    const cur = f.sysctls[key] ?? null;
    if (cur !== null && cur !== original) out.push({ kind: 'sysctl', key, before: cur, after: original });
  }
}

function planNetwork(d: DesiredHost, f: HostFacts, out: Change[]): void {
  for (const link of d.links) {
    const cur = f.links.find((l) => l.name === link.name);
    if (!cur?.up) out.push({ kind: 'link', action: 'up', name: link.name });
  }
  const have = new Set(f.addresses.map(addrKey));
  const want = new Set(d.addresses.map(addrKey));
  for (const a of d.addresses)
    if (!have.has(addrKey(a))) out.push({ kind: 'address', action: 'add', address: a });
  for (const a of f.state?.addresses ?? []) {
    if (!want.has(addrKey(a)) && have.has(addrKey(a)))
      out.push({ kind: 'address', action: 'remove', address: a });
  }
  for (const r of d.routes) {
    const cur = f.routes.find((x) => x.dst === r.dst);
    if (!cur || !routeMatches(r, cur))
      out.push({ kind: 'route', action: 'replace', route: r, ...(cur ? { before: cur } : {}) });
  }
  for (const r of f.state?.routes ?? []) {
    if (d.routes.some((x) => x.dst === r.dst)) continue;
    const cur = f.routes.find((x) => routeMatches(r, x));
    if (!cur) continue;
    const original = f.state?.originalRoutes.find((x) => x.dst === r.dst);
    out.push(
      original
        ? { kind: 'route', action: 'replace', route: original, before: cur }
        : { kind: 'route', action: 'remove', route: cur },
    );
  }
  const ruleKey = (r: { from: string; table: number }) => `${r.from} ${r.table}`;
  for (const r of d.rules) {
    if (!f.rules.some((x) => ruleKey(x) === ruleKey(r))) out.push({ kind: 'rule', action: 'add', rule: r });
  }
  for (const r of f.state?.rules ?? []) {
    if (!d.rules.some((x) => ruleKey(x) === ruleKey(r)) && f.rules.some((x) => ruleKey(x) === ruleKey(r))) {
      out.push({ kind: 'rule', action: 'remove', rule: r });
    }
  }
}

function planDaemons(d: DesiredHost, f: HostFacts, changedFiles: string[], out: Change[]): void {
  const notified = new Set(d.files.filter((x) => changedFiles.includes(x.path)).flatMap((x) => x.notify));
  const starting = new Set<string>();
  for (const daemon of d.daemons) {
    const cur = f.daemons[daemon.name];
    if (!cur?.running) {
      out.push({ kind: 'daemon', action: 'start', daemon });
      starting.add(daemon.name);
    }
    if (f.systemd && cur?.enabled === false) out.push({ kind: 'daemon', action: 'enable', daemon });
  }
  // Handlers run once, at the end; restart beats reload, and a daemon being started needs neither.
  const handlers = d.handlers.filter((h) => notified.has(h.name));
  const restarted = new Set(handlers.filter((h) => h.action === 'restart').map((h) => h.target));
  for (const h of handlers) {
    if (h.target && starting.has(h.target)) continue;
    if (h.action === 'reload' && restarted.has(h.target)) continue;
    if ((h.action === 'daemon-reload' || h.action === 'enable') && !f.systemd) continue;
    const daemon = d.daemons.find((x) => x.name === h.target);
    out.push({ kind: 'handler', handler: h, ...(daemon ? { daemon } : {}) });
  }
}

/**
 * The table is (re)loaded when its file changes, when it is missing, or when the live table no
 * longer prints what it printed right after `up` loaded it (someone edited or flushed it).
 */
function planFirewall(d: DesiredHost, f: HostFacts, changedFiles: string[], out: Change[]): void {
  const live = f.firewall?.live ?? null;
  if (!d.firewall) {
    if (f.state?.firewall && live !== null) out.push({ kind: 'firewall', action: 'remove' });
    return;
  }
  const reason = changedFiles.includes(d.firewall.path)
    ? 'rules changed'
    : live === null
      ? 'table missing'
      : live !== f.firewall?.loaded
        ? 'live table differs from what up loaded'
        : undefined;
  if (reason) out.push({ kind: 'firewall', action: 'load', path: d.firewall.path, reason });
}

/**
 * directors.ipvs_timeouts: set when a wanted (non-zero) value differs from the live one; once the
 * inventory no longer asks, put back the values `up` found (recorded in the host's state).
 */
export function planIpvsTimeouts(d: DesiredHost, f: HostFacts, out: Change[]): void {
  const live = f.ipvsTimeouts ?? null;
  const want = d.ipvsTimeouts;
  if (want) {
    const keys = ['tcp', 'tcpfin', 'udp'] as const;
    if (!live || keys.some((k) => want[k] !== 0 && want[k] !== live[k]))
      out.push({ kind: 'ipvs-timeouts', before: live, after: want });
    return;
  }
  const original = f.state?.ipvsTimeouts;
  if (original) out.push({ kind: 'ipvs-timeouts', before: live, after: original });
}

/** `policy: drop` must not cut the SSH session `up` runs in (the address the host sees us from). */
function lockout(d: DesiredHost, f: HostFacts): string | undefined {
  const fw = d.firewall;
  if (fw?.policy !== 'drop' || !f.sshClient) return undefined;
  const from = f.sshClient;
  if (
    fw.adminNetworks.some((n) => {
      const c = parseCidr(n);
      return c !== undefined && cidrContains(c, from);
    })
  )
    return undefined;
  return `firewall policy drop would cut this SSH session: ${from} (as ${d.host} sees lvs-deploy) is not in directors.firewall.admin_networks (${fw.adminNetworks.join(', ')})`;
}

export function planHost(d: DesiredHost, f: HostFacts): HostPlan {
  const blockers: string[] = [...f.errors.map((e) => `facts: ${e}`)];
  const cut = lockout(d, f);
  if (cut) blockers.push(cut);
  if (d.ipvs.length > 0 && d.kinds.includes('director') && !f.ipvsAvailable) {
    blockers.push('kernel has no IPVS: ip_vs module not available');
  }
  blockers.push(...versionBlockers(d, f.versions), ...kernelBlockers(d, f));
  if (blockers.length > 0) return { host: d.host, changes: [], blockers };
  const out: Change[] = [];
  const missing = d.packages.filter((p) => !f.packages[p]);
  if (missing.length > 0) out.push({ kind: 'package', names: missing });
  for (const m of d.modules) if (!f.modules[m]) out.push({ kind: 'module', name: m });
  const changedFiles = planFiles(d, f, out);
  planSysctls(d, f, out);
  planNetwork(d, f, out);
  if (d.ipvsStatic) out.push(...planIpvs(d.ipvs, f.ipvs ?? [], f.state?.ipvs ?? []));
  planIpvsTimeouts(d, f, out);
  // Before the daemons: keepalived must find VRRP accepted when it starts.
  planFirewall(d, f, changedFiles, out);
  planDaemons(d, f, changedFiles, out);
  return { host: d.host, changes: out, blockers };
}
