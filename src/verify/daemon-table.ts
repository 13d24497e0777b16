// verify, where a daemon programs IPVS (keepalived, ldirectord): the live table must hold every
// desired service, with its attributes and real servers. A real server the daemon took out
// because its health check fails (removed, as keepalived does, or quiesced to weight 0, as
// ldirectord does) is reported as failing its check, not as drift: `up` would not change it,
// the real server has to answer again, and the daemon then restores it by itself.
import { managerOfDaemon } from '../managers/index.js';
import type { HostFacts } from '../model/facts.js';
import { destKey, formatDest, formatService } from '../model/ipvs.js';
import type { DesiredHost, IpvsDest, IpvsService } from '../model/types.js';
import type { Check } from './check.js';

/** Where to look when the daemon did not program what its config says (its manager module says). */
const look = (daemon: string): string => managerOfDaemon(daemon)?.daemon?.look ?? 'its log';

type Verdict = { kind: 'same' } | { kind: 'failing'; why: string } | { kind: 'drift'; why: string };

function compareDest(daemon: string, s: IpvsService, want: IpvsDest, have: IpvsDest | undefined): Verdict {
  if (!have)
    return want.weight > 0
      ? { kind: 'failing', why: `${daemon} removed it` }
      : { kind: 'drift', why: 'missing' };
  if (have.forwarding === want.forwarding && have.weight === want.weight) return { kind: 'same' };
  if (have.forwarding === want.forwarding && have.weight === 0 && want.weight > 0) {
    return { kind: 'failing', why: `${daemon} quiesced it: weight 0, configured ${want.weight}` };
  }
  return { kind: 'drift', why: `live ${formatDest(s, have)}, desired ${formatDest(s, want)}` };
}

function serviceChecks(host: string, daemon: string, want: IpvsService, have: IpvsService): Check[] {
  const drift: string[] = [];
  const failing: Check[] = [];
  if (formatService(have) !== formatService(want))
    drift.push(`live ${formatService(have)}, desired ${formatService(want)}`);
  for (const w of want.dests) {
    const v = compareDest(
      daemon,
      want,
      w,
      have.dests.find((x) => destKey(x) === destKey(w)),
    );
    if (v.kind === 'drift') drift.push(`${destKey(w)}: ${v.why}`);
    if (v.kind === 'failing') {
      failing.push({
        host,
        check: 'health',
        ok: false,
        detail: `real server ${destKey(w)} of ${want.key} fails its health check (${v.why})`,
        fix: `make ${destKey(w)} answer its health check; ${daemon} puts it back by itself once it does`,
      });
    }
  }
  for (const h of have.dests) {
    if (!want.dests.some((w) => destKey(w) === destKey(h))) drift.push(`${destKey(h)}: not in the inventory`);
  }
  const up = want.dests.length - failing.length;
  // A service whose every real server is gone or at weight 0 accepts connections it cannot
  // forward: the VIP is down for that port, whatever the reason.
  const live = have.dests.filter((x) => x.weight > 0).length;
  if (drift.length === 0 && live === 0)
    return [
      {
        host,
        check: 'ipvs',
        ok: false,
        detail: `${formatService(have)} has no live real server (${have.dests.length} in the table, none with weight > 0): connections to it fail`,
        fix:
          want.dests.length > 0
            ? `make its real servers answer their health check; ${daemon} puts them back by itself`
            : 'give the service at least one real server in the inventory, then run `lvs-deploy up`',
      },
      ...failing,
    ];
  const ok = drift.length === 0;
  return [
    {
      host,
      check: 'ipvs',
      ok,
      detail: ok
        ? `${formatService(have)} with ${have.dests.length} real server(s), ${up} passing their health check`
        : `live table differs from ${formatService(want)}: ${drift.join('; ')}`,
      ...(ok
        ? {}
        : {
            fix: `${daemon} has not applied its config: check ${look(daemon)}, then run \`lvs-deploy up\``,
          }),
    },
    ...failing,
  ];
}

/** The checks for the table `d`'s IPVS daemon programs. */
export function daemonTable(d: DesiredHost, f: HostFacts): Check[] {
  const daemon = d.daemons.find((x) => x.name !== 'ipvs-sync')?.name ?? 'the IPVS daemon';
  return d.ipvs.flatMap((want) => {
    const have = f.ipvs?.find((s) => s.key === want.key);
    if (have) return serviceChecks(d.host, daemon, want, have);
    return [
      {
        host: d.host,
        check: 'ipvs',
        ok: false,
        detail: `missing ${formatService(want)}`,
        fix: `check ${daemon} is running and its log (${look(daemon)})`,
      },
    ];
  });
}
