// `lvs-deploy import --director` against a hand-built LVS in the netns lab: a keepalived director
// (keepalived.conf written by hand; this kernel has no IPVS, so keepalived is not running) and two
// DR real servers set up by hand, one of them wrongly (it answers ARP for the VIP). The import reads
// every host once and changes nothing on any of them; the inventory it writes names the hosts by
// hostname, notes what it could not map, lints the broken real server, and `plan` on it changes no
// real server's sysctls or addresses. Needs root; run under the lab lock.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hostExec, type LabState, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import { cliInLab } from '../helpers/cli.js';
import { host, inventory, service } from './lab-inventory.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (creates network namespaces and sshd processes)';

const VIP = '10.61.0.100';
const KEEPALIVED_CONF = `! written by hand
global_defs {
  router_id lb1
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 61
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass labpass
  }
  virtual_ipaddress {
    ${VIP}/24 dev eth0
  }
}
virtual_server ${VIP} 80 {
  delay_loop 6
  lvs_sched rr
  lvs_method DR
  protocol TCP
  real_server 10.61.0.21 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 3
    }
  }
  real_server 10.61.0.22 80 {
    weight 2
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;

/** What must not change on a host: the files import reads, its addresses and its sysctls. */
const SNAPSHOT =
  "cat /etc/keepalived/keepalived.conf 2>/dev/null | sha256sum; ip -o addr | sed 's/valid_lft.*//; s/ tentative//'; ip route; " +
  'for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/rp_filter; do echo "$f=$(cat $f)"; done; ls -la /etc /var/lib 2>/dev/null | sha256sum';

describe('import --director reads a hand-built LVS and changes nothing', { skip }, () => {
  const inv = inventory(
    'test-import-live',
    [
      host('lb1', '10.61.0.10', { eth0: ['10.61.0.10/24'] }),
      host('web1', '10.61.0.21', { eth0: ['10.61.0.21/24'] }),
      host('web2', '10.61.0.22', { eth0: ['10.61.0.22/24'] }),
    ],
    [
      service(
        'www',
        VIP,
        80,
        [
          { host: 'web1', address: '10.61.0.21' },
          { host: 'web2', address: '10.61.0.22' },
        ],
        'dr',
      ),
    ],
  );
  let state: LabState;
  const dir = mkdtempSync(join(tmpdir(), 'lvs-import-live-'));
  const snap = async () =>
    Object.fromEntries(
      await Promise.all(
        ['lb1', 'web1', 'web2'].map(async (h) => [h, (await hostExec(state, h, SNAPSHOT)).stdout] as const),
      ),
    );
  let before1: Record<string, string>;
  let result: Awaited<ReturnType<typeof cliInLab>>;

  before(async () => {
    state = (await labUp(inv)).state;
    const must = async (h: string, cmd: string) => {
      const r = await hostExec(state, h, cmd);
      assert.equal(r.code, 0, `${h}: ${cmd}: ${r.stderr}`);
    };
    await must(
      'lb1',
      `mkdir -p /etc/keepalived && cat > /etc/keepalived/keepalived.conf <<'EOF'\n${KEEPALIVED_CONF}EOF\nsysctl -qw net.ipv4.ip_forward=1`,
    );
    // web1 as the seed does it; web2 forgot the ARP sysctls.
    await must(
      'web1',
      `ip addr add ${VIP}/32 dev lo && sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_announce=2`,
    );
    await must('web2', `ip addr add ${VIP}/32 dev lo`);
    before1 = await snap();
    result = await cliInLab(state.controlNs, labEnv(state), [
      'import',
      '--director',
      '10.61.0.10',
      '-o',
      join(dir, 'imported.yaml'),
    ]);
  });
  after(async () => {
    await labDown(inv);
    rmSync(dir, { recursive: true, force: true });
  });

  test('every host is byte-identical before and after the import', async () => {
    assert.deepEqual(await snap(), before1);
  });

  test('the inventory names hosts by hostname, keeps the secret out and lints web2', () => {
    assert.equal(result.code, 3, result.stderr);
    const yaml = readFileSync(join(dir, 'imported.yaml'), 'utf8');
    assert.match(
      yaml,
      /^ {2}lb1: \{ address: "10\.61\.0\.10", interfaces: \{ eth0: \["10\.61\.0\.10\/24"\] \} \}/m,
    );
    assert.match(yaml, /^ {2}web1: \{ address: "10\.61\.0\.21"/m);
    assert.match(yaml, /- \{ host: web2, weight: 2 \}/);
    assert.ok(!yaml.includes('labpass'));
    assert.equal(readFileSync(join(dir, 'imported.vrrp-auth-pass'), 'utf8'), 'labpass\n');
    assert.match(
      result.stderr,
      /10\.61\.0\.10:\/etc\/keepalived\/keepalived\.conf:1: \/etc\/keepalived\/keepalived\.conf is configured but its daemon is not running/,
    );
    assert.match(
      result.stderr,
      /lint: 10\.61\.0\.22: a DR\/TUN real server answers ARP for the VIP \(10\.61\.0\.22: arp_ignore=0, arp_announce=0\)/,
    );
    assert.doesNotMatch(result.stderr, /lint: 10\.61\.0\.21/);
  });

  test('plan on the imported inventory: web1 needs no sysctl or address change', async () => {
    const env = { ...labEnv(state) };
    const r = await cliInLab(state.controlNs, env, [
      'plan',
      join(dir, 'imported.yaml'),
      '--json',
      '--limit',
      'web1',
    ]);
    const doc = JSON.parse(r.stdout) as { hosts: { host: string; changes: string[] }[] };
    const web1 = doc.hosts.find((h) => h.host === 'web1');
    assert.ok(web1, r.stdout + r.stderr);
    // Persisting what is live (sysctl.d file, boot unit) may be planned; changing it may not.
    const effective = web1.changes.filter((c) => /^(sysctl|address|route|link) /.test(c));
    assert.deepEqual(effective, [], web1.changes.join('\n'));
    assert.ok(web1.changes.length > 0, 'the plan ran and found the persistence files to write');
  });
});
