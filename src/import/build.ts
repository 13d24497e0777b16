// The imported inventory: directors' configurations (plus what is known about the hosts) → YAML
// text in the contract format, with where each value came from, and every note at the top.
import { ipFamily } from '../inventory/net.js';
import { formatRules } from '../model/ipvs.js';
import { derivedInterfaces, natRouteNotes, vipPrefixNotes } from './build-notes.js';
import { type DirectorRef, planVrrp, type VrrpPlan } from './build-vrrp.js';
import { flow, from, scalar, type Value, where, YamlOut } from './emit.js';
import { Notes } from './notes.js';
import { toIpvs } from './table.js';
import type { DirectorSource, ImportedService, ImportNote, RealServerFacts } from './types.js';

export type { DirectorSource, RealServerFacts } from './types.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export type SecretOut = { file: string } | { env: string };

export interface BuildResult {
  yaml: string;
  notes: ImportNote[];
  /** VRRP auth_pass read from the configuration: the caller writes it where `secretRef` says. */
  secret?: string;
  /** false: nothing the inventory can hold was found (no virtual service). */
  ok: boolean;
}

export function buildInventory(
  sources: DirectorSource[],
  secretRef: SecretOut,
  title: string,
  realServers: Map<string, RealServerFacts> = new Map(),
  invName?: string,
): BuildResult {
  const notes = new Notes();
  for (const s of sources) notes.list.push(...s.imp.notes);
  const first = sources[0];
  const services = first?.imp.services ?? [];
  // Directors: names from the hint, router_id, address; addresses from the hint or unicast_src_ip.
  const used = new Set<string>();
  const directors: (DirectorRef & { src?: DirectorSource })[] = sources.map((s, i) => {
    const src = s.imp.vrrp[0]?.unicast_src_ip;
    let address = s.address ?? src;
    if (!address) {
      address = `192.0.2.${10 + i}`;
      notes.add(
        { file: s.imp.file, line: 1 },
        `the director's address is not in the file: written as ${address} (a documentation address); set it, or import with FILE@ADDRESS`,
      );
    }
    const rid = s.imp.globals.router_id;
    let name = s.name ?? (rid && NAME_RE.test(rid) ? rid : hostName(address));
    if (used.has(name)) name = `${name}-${i + 1}`;
    used.add(name);
    if (rid !== undefined && rid !== name && s.imp.manager === 'keepalived')
      notes.add(
        { file: s.imp.file, line: 1 },
        `router_id ${rid}: lvs-deploy writes the host's inventory name (${name}) as router_id (it names the director in logs and alert mails only)`,
      );
    return { name, address, vrrp: s.imp.vrrp, file: s.imp.file, src: s };
  });
  for (const s of sources.slice(1)) {
    if (
      formatRules(toIpvs(s.imp.services)) !== formatRules(toIpvs(services)) ||
      JSON.stringify(s.imp.services.map((x) => x.check && { ...x.check, at: 0 })) !==
        JSON.stringify(services.map((x) => x.check && { ...x.check, at: 0 }))
    )
      notes.add(
        { file: s.imp.file, line: 1 },
        `its virtual servers differ from ${first?.imp.file}'s; the inventory has one set: ${first?.imp.file}'s`,
      );
  }
  const vrrp = planVrrp(directors, services, notes);
  const firstDir = directors[0];
  if (vrrp && firstDir)
    vipPrefixNotes(vrrp, firstDir.src?.interfaces ?? derivedInterfaces(firstDir, vrrp), notes);
  natRouteNotes(directors, services, vrrp, notes);
  const out = new YamlOut();
  out.comment(
    0,
    `${title}\nImported by \`lvs-deploy import\` from ${sources.map((s) => s.imp.file).join(', ')}.`,
  );
  const noteStart = out.lines.length;
  const rs = realServerHosts(services, directors);
  out.line(
    0,
    `name: ${scalar(invName !== undefined && NAME_RE.test(invName) ? invName : nameOf(first?.imp.file))}`,
  );
  out.line(0, 'hosts:');
  for (const d of directors) {
    const own = d.src?.interfaces ?? derivedInterfaces(d, vrrp);
    const kept = Object.entries(d.src?.sysctls ?? {});
    const sysctls = kept.length ? { sysctls: Object.fromEntries(kept.map(([k, v]) => [k, Number(v)])) } : {};
    out.line(
      2,
      `${scalar(d.name)}: ${flow({ address: d.address, ...(own ? { interfaces: own } : {}), ...sysctls })}`,
      d.src
        ? `  # director, from ${d.file}${kept.length ? '; sysctls as live in /proc/sys (up would change them)' : ''}`
        : '  # director (unicast peer)',
    );
  }
  const rsName = new Map<string, string | undefined>();
  for (const [addr, at] of rs) {
    const f = realServers.get(addr);
    if (f && 'unreachable' in f) {
      rsName.set(addr, undefined);
      continue;
    }
    let n = f?.name ?? hostName(addr);
    if (used.has(n)) n = hostName(addr);
    used.add(n);
    rsName.set(addr, n);
    const ifs = f && Object.keys(f.interfaces).length ? { interfaces: f.interfaces } : {};
    out.line(
      2,
      `${scalar(n)}: ${flow({ address: addr, ...ifs })}`,
      `  # real server, ${where(at)}${f ? ', read live' : ''}`,
    );
  }
  out.line(0, 'directors:');
  out.line(2, `hosts: ${flow(directors.map((d) => d.name))}`);
  out.line(2, `manager: ${first?.imp.manager ?? 'ipvsadm'}`);
  const g = first?.imp.globals;
  if (g?.sync_daemon)
    out.line(2, `sync_daemon: ${flow({ ...g.sync_daemon })}`, '  # lvs_sync_daemon in global_defs');
  let secret: string | undefined;
  if (vrrp) {
    const m = vrrp.main;
    out.line(2, 'vrrp:', `  # vrrp_instance ${m.name}, ${where(m.at)}`);
    out.line(4, `interface: ${scalar(m.interface)}`);
    out.line(4, `virtual_router_id: ${m.virtual_router_id}`);
    out.line(4, `advert_int: ${m.advert_int}`);
    out.line(
      4,
      `priority: ${flow(Object.fromEntries(Object.entries(vrrp.priority).map(([k, p]) => [k, p.value])))}`,
    );
    if (vrrp.auth_pass) {
      // keepalived uses the first 8 characters (VRRPv2's field); the inventory refuses more.
      secret = vrrp.auth_pass.value.slice(0, 8);
      if (vrrp.auth_pass.value.length > 8)
        notes.add(
          vrrp.auth_pass.at,
          `auth_pass is longer than 8 characters; keepalived uses only its first 8, and those are what the secret holds`,
        );
      out.line(
        4,
        `auth_pass: ${flow(secretRef)}`,
        `  # auth_pass ${where(vrrp.auth_pass.at)}, kept out of this file`,
      );
    }
    out.line(4, `unicast: ${vrrp.unicast}`);
    if (g?.notification_email.length) out.line(4, `notification_email: ${flow(g.notification_email)}`);
    if (g?.notification_email_from)
      out.line(4, `notification_email_from: ${scalar(g.notification_email_from)}`);
    if (g?.smtp_server) out.line(4, `smtp_server: ${scalar(g.smtp_server)}`);
    if (g?.smtp_connect_timeout !== undefined) out.line(4, `smtp_connect_timeout: ${g.smtp_connect_timeout}`);
    if (m.smtp_alert) out.line(4, 'smtp_alert: true');
    for (const k of ['notify_master', 'notify_backup', 'notify_fault'] as const)
      if (m[k]) out.line(4, `${k}: ${JSON.stringify(m[k])}`);
    const gw = vrrp.gateway;
    const gv = gw?.vips[0];
    if (gw && gv) {
      const p = gv.prefix ?? (ipFamily(gv.address) === 6 ? 128 : 32);
      out.line(
        2,
        `nat_gateway: ${flow({ address: `${gv.address}/${p}`, interface: gv.dev ?? gw.interface })}`,
        `  # vrrp_instance ${gw.name}, ${where(gw.at)}`,
      );
    }
  }
  out.line(0, 'services:');
  writeServices(out, services, vrrp, notes, rsName, realServers);
  const header = notes.list.map((n) => `NOT IMPORTED or CHANGED: ${n.file}:${n.line}: ${n.message}`);
  out.lines.splice(
    noteStart,
    0,
    ...(header.length ? header.map((h) => `# ${h}`) : ['# Everything in the source was imported as it is.']),
  );
  return {
    yaml: out.text(),
    notes: notes.list,
    ...(secret !== undefined ? { secret } : {}),
    ok: services.length > 0,
  };
}

/** A host name from an address: IPv6 colons are not allowed in names. */
function hostName(address: string): string {
  return address.replace(/:/g, '-').replace(/^-/, '0-');
}

function nameOf(file: string | undefined): string {
  const base = (file ?? 'imported')
    .replace(/^.*\//, '')
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '-');
  return NAME_RE.test(base) ? `imported-${base}`.slice(0, 63) : 'imported';
}

function realServerHosts(
  services: ImportedService[],
  directors: DirectorRef[],
): Map<string, ImportedService['at']> {
  const out = new Map<string, ImportedService['at']>();
  for (const s of services)
    for (const r of s.real_servers)
      if (!directors.some((d) => d.address === r.address) && !out.has(r.address)) out.set(r.address, r.at);
  return out;
}

function writeServices(
  out: YamlOut,
  services: ImportedService[],
  vrrp: VrrpPlan | undefined,
  notes: Notes,
  rsName: Map<string, string | undefined>,
  facts: Map<string, RealServerFacts>,
): void {
  const names = new Set<string>();
  for (const s of services) {
    let name =
      s.name && NAME_RE.test(s.name)
        ? s.name
        : s.fwmark !== undefined
          ? `fwmark-${s.fwmark}`
          : `${s.protocol}-${s.port}`;
    if (names.has(name)) name = `${name}-${(s.vip ?? '').replace(/[^A-Za-z0-9]/g, '-')}`;
    for (let i = 2; names.has(name); i++) name = `${name}-${i}`;
    names.add(name);
    const vip = s.vip ?? vrrp?.main.vips.find((x) => ipFamily(x.address) === s.family)?.address;
    out.line(2, `- name: ${scalar(name)}`, from(s.at));
    if (vip)
      out.line(4, `vip: ${scalar(vip)}`, s.vip ? '' : '  # fwmark service: the VRRP address it floats');
    else {
      notes.add(
        s.at,
        `fwmark ${s.fwmark}: no VIP known; written as 192.0.2.1 (a documentation address), set it`,
      );
      out.line(4, 'vip: "192.0.2.1"', '  # FIXME: the VIP the fwmark rule matches');
    }
    const svc: Record<string, Value | undefined> =
      s.fwmark !== undefined ? { fwmark: s.fwmark } : { protocol: s.protocol, port: s.port };
    for (const [k, v] of Object.entries(svc)) if (v !== undefined) out.line(4, `${k}: ${flow(v)}`);
    out.line(4, `scheduler: ${s.scheduler}`);
    if (s.flags.length) out.line(4, `flags: ${flow(s.flags)}`);
    if (s.ops) out.line(4, 'ops: true');
    out.line(4, `forwarding: ${s.forwarding}`);
    if (s.persistence) out.line(4, `persistence: ${flow({ ...s.persistence })}`);
    if (s.check) {
      const { at, ...c } = s.check;
      out.line(4, `check: ${flow({ ...c } as Record<string, Value>)}`, from(at));
    }
    out.line(4, 'real_servers:');
    for (const r of s.real_servers) {
      const port = r.port > 0 && r.port !== s.port ? r.port : undefined;
      const name = rsName.get(r.address);
      const f = facts.get(r.address);
      const who = name !== undefined ? { host: name } : { address: r.address };
      const why = f && 'unreachable' in f ? `; not reachable (${f.unreachable}): directors only` : '';
      const fwd = r.forwarding !== s.forwarding ? r.forwarding : undefined;
      out.line(6, `- ${flow({ ...who, port, weight: r.weight, forwarding: fwd })}`, `${from(r.at)}${why}`);
    }
  }
}
