// ldirectord.cf → what one director's configuration describes. ldirectord's own grammar
// (read_config in /usr/sbin/ldirectord): `key = value` lines, `virtual = …` opens a section whose
// options are the following indented lines, `#` starts a comment.
import { ipFamily } from '../inventory/net.js';
import type { Forwarding } from '../model/types.js';
import { Notes } from './notes.js';
import type { DirectorImport, ImportedCheck, ImportedService } from './types.js';
import { syntaxError } from './types.js';

const FORWARD: Record<string, Forwarding> = { gate: 'dr', masq: 'nat', ipip: 'tun' };
/** Globals lvs-deploy writes itself (its ldirectord.cf form); importing them changes nothing. */
const GLOBAL_OWN = new Set([
  'autoreload',
  'quiescent',
  'cleanstop',
  'logfile',
  'checktimeout',
  'checkinterval',
]);

interface Line {
  key: string;
  value: string;
  line: number;
  indented: boolean;
}

function lines(file: string, text: string): Line[] {
  const out: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    const body = raw.replace(/#.*$/, '');
    if (body.trim() === '') return;
    const m = /^(\s*)([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(body);
    if (!m) throw syntaxError(file, i + 1, `expected \`key = value\`, got ${JSON.stringify(raw.trim())}`);
    out.push({ indented: (m[1] ?? '') !== '', key: m[2] as string, value: m[3] as string, line: i + 1 });
  });
  return out;
}

function hostPort(file: string, l: Line, text: string): { address: string; port: number } {
  const m =
    /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:\s]+):(\d+)$/.exec(text) ?? /^\[?([^\]\s]+)\]?()$/.exec(text);
  const address = m?.[1] ?? '';
  if (ipFamily(address) === 0) throw syntaxError(file, l.line, `${l.key}: ${text} is not an address[:port]`);
  return { address, port: m?.[2] ? Number(m[2]) : 0 };
}

function whole(file: string, l: Line): number {
  const n = Number(l.value);
  if (!Number.isFinite(n)) throw syntaxError(file, l.line, `${l.key}: expected a number, got ${l.value}`);
  return n;
}

export function importLdirectord(file: string, text: string): DirectorImport {
  const notes = new Notes();
  const out: DirectorImport = {
    file,
    manager: 'ldirectord',
    services: [],
    vrrp: [],
    syncGroups: [],
    globals: { notification_email: [] },
    notes: notes.list,
  };
  const globals: Record<string, number> = { checktimeout: 5, checkinterval: 6 };
  let svc: (ImportedService & { raw: Record<string, Line> }) | undefined;
  const done: (ImportedService & { raw: Record<string, Line> })[] = [];
  for (const l of lines(file, text)) {
    const at = { file, line: l.line };
    if (!l.indented && (l.key === 'virtual' || l.key === 'virtual6')) {
      if (svc) done.push(svc);
      const fw = /^\d+$/.test(l.value);
      const hp = fw ? undefined : hostPort(file, l, l.value);
      svc = {
        ...(hp ? { vip: hp.address, port: hp.port, protocol: 'tcp' as const } : { fwmark: Number(l.value) }),
        family: l.key === 'virtual6' || (hp && ipFamily(hp.address) === 6) ? 6 : 4,
        scheduler: 'wrr',
        flags: [],
        ops: false,
        forwarding: 'dr',
        real_servers: [],
        at,
        raw: {},
      };
      continue;
    }
    if (!l.indented || !svc) {
      if (l.key === 'checktimeout' || l.key === 'checkinterval') globals[l.key] = whole(file, l);
      else if (!GLOBAL_OWN.has(l.key))
        notes.add(at, `\`${l.key} = ${l.value}\`: the inventory has no equivalent; not imported`);
      if (l.indented) notes.add(at, 'indented option outside a virtual section');
      continue;
    }
    if (l.key === 'real' || l.key === 'real6') {
      const [addr, fwd, weight, ...rest] = l.value.split(/\s+/);
      const hp = hostPort(file, l, addr ?? '');
      const forwarding = FORWARD[fwd ?? 'gate'];
      if (!forwarding) throw syntaxError(file, l.line, `real: expected gate, masq or ipip, got ${fwd}`);
      if (rest.length)
        notes.add(
          at,
          `real server request/receive \`${rest.join(' ')}\`: per-real-server checks are not expressed; not imported`,
        );
      svc.real_servers.push({
        address: hp.address,
        port: hp.port || (svc.port ?? 0),
        weight: weight ? Number(weight) : 1,
        forwarding,
        at,
      });
    } else svc.raw[l.key] = l;
  }
  if (svc) done.push(svc);
  for (const s of done) {
    out.services.push(service(file, s, globals, notes));
  }
  return out;
}

function service(
  file: string,
  s: ImportedService & { raw: Record<string, Line> },
  g: Record<string, number>,
  notes: Notes,
): ImportedService {
  const { raw, ...svc } = s;
  const take = (k: string) => {
    const l = raw[k];
    delete raw[k];
    return l;
  };
  const proto = take('protocol');
  if (proto?.value === 'udp' || proto?.value === 'tcp') svc.protocol = proto.value;
  else if (proto && proto.value !== 'fwm')
    throw syntaxError(file, proto.line, `protocol: expected tcp, udp or fwm, got ${proto.value}`);
  svc.scheduler = take('scheduler')?.value ?? 'wrr';
  const flags = take('schedflags');
  if (flags)
    svc.flags = flags.value
      .split(/[,\s]+/)
      .filter((f) => f !== '')
      .sort();
  if (take('ops')?.value === 'yes') svc.ops = true;
  const persistent = take('persistent');
  if (persistent) {
    const nm = take('netmask');
    svc.persistence = { timeout: whole(file, persistent), ...(nm ? { netmask: nm.value } : {}) };
  }
  svc.forwarding = svc.real_servers[0]?.forwarding ?? 'dr';
  const type = take('checktype')?.value ?? 'negotiate';
  const service = take('service')?.value;
  const request = take('request')?.value.replace(/^"(.*)"$/, '$1');
  const command = take('checkcommand')?.value.replace(/^"(.*)"$/, '$1');
  const timeout = take('checktimeout');
  const failures = take('failurecount');
  take('servicename');
  const timers = {
    connect_timeout: timeout ? whole(file, timeout) : (g.checktimeout ?? 5),
    retry: failures ? whole(file, failures) - 1 : 0,
    delay_loop: g.checkinterval ?? 6,
    delay_before_retry: 0,
  };
  let check: ImportedCheck | undefined;
  if (type === 'connect') check = { type: 'tcp', ...timers, at: svc.at };
  else if (type === 'negotiate' && (service === 'http' || service === 'https'))
    check = { type: service, ...timers, path: request ?? '/', at: svc.at };
  else if (type === 'external' && command)
    check = { type: 'misc', ...timers, misc_path: command, at: svc.at };
  else if (type !== 'on' && type !== 'off')
    notes.add(
      svc.at,
      `checktype = ${type}${service ? `, service = ${service}` : ''}: the inventory has connect, http(s) negotiate and external checks only; not imported`,
    );
  if (type === 'off')
    notes.add(
      svc.at,
      'checktype = off (real servers out of the table): written as no check (all real servers in)',
    );
  if (check) svc.check = check;
  for (const l of Object.values(raw))
    notes.add(
      { file, line: l.line },
      `\`${l.key} = ${l.value}\`: the inventory has no equivalent; not imported`,
    );
  return svc;
}
