import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptyState, type HostFacts } from '../../src/model/facts.js';
import { serviceKey } from '../../src/model/ipvs.js';
import type { DesiredHost } from '../../src/model/types.js';
import { describeChange } from '../../src/planner/changes.js';
import { changeClass, disruptionSummary } from '../../src/planner/disruption.js';
import { planDown } from '../../src/planner/down.js';
import { planHost } from '../../src/planner/plan.js';
import { convergedFacts } from '../helpers/facts.js';
import { desired, keepalived, rs1, rs2, svc } from '../helpers/planner-fixtures.js';

const lines = (d: DesiredHost, f: HostFacts) => planHost(d, f).changes.map(describeChange);

describe('planner', () => {
  test('a converged host plans nothing (second up changes nothing)', () => {
    const d = desired();
    assert.deepEqual(planHost(d, convergedFacts(d)), { host: 'd1', changes: [], blockers: [] });
  });

  test('drift in a sysctl, an address and a file shows exactly that drift', () => {
    const d = desired();
    const f = convergedFacts(d);
    f.sysctls['net.ipv4.ip_forward'] = '0';
    f.addresses = [];
    f.files['/etc/ipvsadm.rules'] = { content: 'old\n', mode: '0644', owner: 'root', group: 'root' };
    assert.deepEqual(lines(d, f), [
      'file update /etc/ipvsadm.rules',
      'sysctl net.ipv4.ip_forward: 0 → 1',
      'address add 10.0.0.100/32 dev eth0',
    ]);
  });

  test('IPVS is reconciled by edits: add, reweight, drain — never a flush', () => {
    const d = desired({
      ipvs: [
        svc([
          { ...rs1, weight: 3 },
          { address: '10.0.1.3', port: 80, forwarding: 'nat', weight: 1 },
        ]),
      ],
    });
    const f = convergedFacts(desired());
    assert.deepEqual(lines(d, f), [
      'ipvs edit -a -t 10.0.0.100:80 -r 10.0.1.1:80 -m -w 1 → -a -t 10.0.0.100:80 -r 10.0.1.1:80 -m -w 3',
      'ipvs add -a -t 10.0.0.100:80 -r 10.0.1.3:80 -m -w 1',
      'ipvs drain+delete -t 10.0.0.100:80 -r 10.0.1.2:80 (weight 0 first)',
    ]);
  });

  test('a scheduler change edits the service in place', () => {
    const d = desired({ ipvs: [svc([rs1, rs2], 'wlc')] });
    assert.deepEqual(lines(d, convergedFacts(desired())), [
      'ipvs edit -A -t 10.0.0.100:80 -s rr → -A -t 10.0.0.100:80 -s wlc',
    ]);
  });

  test('IPVS services the inventory does not own are never touched', () => {
    const d = desired();
    const f = convergedFacts(d);
    const foreign = {
      ...svc([rs1]),
      key: serviceKey({ protocol: 'tcp', vip: '10.9.9.9', port: 443 }),
      vip: '10.9.9.9',
      port: 443,
    };
    f.ipvs = [...(f.ipvs ?? []), foreign];
    assert.deepEqual(planHost(d, f).changes, []);
  });

  test('a service the inventory dropped is drained and removed when up created it', () => {
    const f = convergedFacts(desired());
    const d = desired({ ipvs: [], addresses: [] });
    assert.deepEqual(lines(d, f), [
      'address remove 10.0.0.100/32 dev eth0',
      'ipvs drain+delete -t 10.0.0.100:80 -r 10.0.1.1:80 (weight 0 first)',
      'ipvs drain+delete -t 10.0.0.100:80 -r 10.0.1.2:80 (weight 0 first)',
      'ipvs remove -A -t 10.0.0.100:80 -s rr',
    ]);
  });

  test('a director on a kernel without IPVS is blocked before anything changes', () => {
    const d = desired();
    const f = { ...convergedFacts(d), ipvsAvailable: false, sysctls: {} };
    const plan = planHost(d, f);
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.blockers, ['kernel has no IPVS: ip_vs module not available']);
  });

  test('a changed keepalived.conf reloads a running keepalived once; a stopped one is just started', () => {
    const file = {
      path: '/etc/keepalived/keepalived.conf',
      content: 'new\n',
      mode: '0640',
      owner: 'root',
      group: 'root',
      notify: ['reload-keepalived'],
      secret: true,
    };
    const d = desired({
      ipvsStatic: false,
      files: [file],
      daemons: [keepalived],
      handlers: [{ name: 'reload-keepalived', action: 'reload', target: 'keepalived' }],
    });
    const f = convergedFacts(d);
    f.files[file.path] = { ...file, content: 'old\n' };
    assert.deepEqual(lines(d, f), [
      'file update /etc/keepalived/keepalived.conf',
      'handler reload keepalived',
    ]);
    f.daemons.keepalived = { running: false };
    assert.deepEqual(lines(d, f), [
      'file update /etc/keepalived/keepalived.conf',
      'service start keepalived',
    ]);
  });

  test('sysctls up changed come back to what it found when no longer wanted', () => {
    const f = convergedFacts(desired());
    f.state = { ...emptyState('t'), sysctlOriginals: { 'net.ipv4.ip_forward': '0' } };
    f.files = {};
    const d = desired({ sysctls: {}, files: [], addresses: [], ipvs: [] });
    f.addresses = [];
    f.ipvs = [];
    assert.deepEqual(lines(d, f), ['sysctl net.ipv4.ip_forward: 1 → 0']);
  });

  test('down undoes only what up recorded', () => {
    const d = desired();
    const f = convergedFacts(d);
    f.state = {
      ...emptyState('t'),
      sysctlOriginals: { 'net.ipv4.ip_forward': '0' },
      addresses: d.addresses,
      ipvs: d.ipvs.map((s) => s.key),
      files: [{ path: '/etc/ipvsadm.rules', hadOriginal: true }],
    };
    const plan = planDown('d1', f, []);
    assert.deepEqual(plan.changes.map(describeChange), [
      'ipvs remove -A -t 10.0.0.100:80 -s rr',
      'address remove 10.0.0.100/32 dev eth0',
      'sysctl net.ipv4.ip_forward: 1 → 0',
      'file restore /etc/ipvsadm.rules',
    ]);
    assert.deepEqual(planDown('d1', { ...f, state: null }, []).changes, []);
  });

  describe('firewall (directors.firewall: the nftables table inet lvs_deploy)', () => {
    const fw = {
      path: '/etc/lvs-deploy/firewall.nft',
      policy: 'drop' as const,
      adminNetworks: ['198.51.100.0/24'],
    };
    const fwFile = {
      path: fw.path,
      content: 'table inet lvs_deploy {}\n',
      mode: '0644',
      owner: 'root',
      group: 'root',
      notify: [],
      secret: false,
    };
    const withFw = () => desired({ firewall: fw, files: [fwFile] });

    test('a converged table plans nothing', () => {
      const d = withFw();
      assert.deepEqual(lines(d, convergedFacts(d)), []);
    });

    test('a changed rules file is validated by the file step, then loaded', () => {
      const d = withFw();
      const f = convergedFacts(d);
      f.files[fw.path] = { content: 'old\n', mode: '0644', owner: 'root', group: 'root' };
      assert.deepEqual(lines(d, f), [
        'file update /etc/lvs-deploy/firewall.nft',
        'firewall load table inet lvs_deploy from /etc/lvs-deploy/firewall.nft (rules changed)',
      ]);
    });

    test('a flushed or hand-edited live table is loaded again', () => {
      const d = withFw();
      const f = convergedFacts(d);
      f.firewall = { live: null, loaded: 'table inet lvs_deploy {}' };
      assert.match(lines(d, f).join(), /\(table missing\)/);
      f.firewall = { live: 'table inet lvs_deploy { chain x {} }', loaded: 'table inet lvs_deploy {}' };
      assert.match(lines(d, f).join(), /\(live table differs from what up loaded\)/);
    });

    test('policy drop refuses to run when this SSH session would be cut', () => {
      const d = withFw();
      const f = { ...convergedFacts(d), sshClient: '203.0.113.9' };
      const plan = planHost(d, f);
      assert.deepEqual(plan.changes, []);
      assert.match(
        plan.blockers.join(),
        /would cut this SSH session: 203\.0\.113\.9 .* not in directors\.firewall\.admin_networks \(198\.51\.100\.0\/24\)/,
      );
      assert.deepEqual(planHost(d, { ...f, sshClient: '198.51.100.7' }).blockers, []);
    });

    test('a table up loaded and the inventory no longer wants is removed; down removes it too', () => {
      const d = desired();
      const f = convergedFacts(d);
      f.firewall = { live: 'table inet lvs_deploy {}', loaded: 'table inet lvs_deploy {}' };
      f.state = { ...(f.state ?? emptyState('t')), firewall: true };
      assert.deepEqual(lines(d, f), ['firewall remove table inet lvs_deploy']);
      assert.ok(planDown('d1', f, []).changes.some((c) => c.kind === 'firewall' && c.action === 'remove'));
      f.state = { ...f.state, firewall: false };
      assert.deepEqual(lines(d, f), [], 'a table lvs-deploy did not load is never touched');
    });
  });
});

describe('plan names the disruption', () => {
  const classes = (d: DesiredHost, f: HostFacts) =>
    planHost(d, f).changes.map((c) => `${changeClass(c)} ${describeChange(c)}`);

  test('a reweight and a sysctl are live: no connection is affected', () => {
    const d = desired({ ipvs: [svc([{ ...rs1, weight: 3 }, rs2])] });
    const f = convergedFacts(desired());
    f.sysctls['net.ipv4.ip_forward'] = '0';
    assert.deepEqual(classes(d, f), [
      'live sysctl net.ipv4.ip_forward: 0 → 1',
      'live ipvs edit -a -t 10.0.0.100:80 -r 10.0.1.1:80 -m -w 1 → -a -t 10.0.0.100:80 -r 10.0.1.1:80 -m -w 3',
    ]);
    assert.equal(disruptionSummary(planHost(d, f).changes), 'live (2 live)');
  });

  test('a scheduler change is a reload (the kernel swaps schedulers with none bound for a moment); flags alone stay live', () => {
    const f = convergedFacts(desired());
    const wrr = desired({ ipvs: [svc([rs1, rs2], 'wrr')] });
    assert.deepEqual(classes(wrr, f), [
      'reload ipvs edit -A -t 10.0.0.100:80 -s rr → -A -t 10.0.0.100:80 -s wrr',
    ]);
    assert.equal(disruptionSummary(planHost(wrr, f).changes), 'reload (1 reload)');
    const sticky = desired({ ipvs: [{ ...svc([rs1, rs2]), persistence: { timeout: 300 } }] });
    assert.deepEqual(
      planHost(sticky, f).changes.map(changeClass),
      ['live'],
      'persistence on the same scheduler keeps it bound',
    );
  });

  test('a keepalived.conf change reloads; a deleted real server or forwarding change is breaking', () => {
    const conf = {
      path: '/etc/keepalived/keepalived.conf',
      content: 'new\n',
      mode: '0640',
      owner: 'root',
      group: 'root',
      notify: ['reload-keepalived'],
      secret: true,
    };
    const d = desired({
      files: [conf],
      daemons: [keepalived],
      handlers: [{ name: 'reload-keepalived', action: 'reload', target: 'keepalived' }],
    });
    const f = convergedFacts(d);
    f.files[conf.path] = { content: 'old\n', mode: '0640', owner: 'root', group: 'root' };
    assert.equal(disruptionSummary(planHost(d, f).changes), 'reload (1 reload, 1 live)');
    const gone = desired({ ipvs: [svc([{ ...rs1, forwarding: 'dr' }])] });
    const plan = planHost(gone, convergedFacts(desired())).changes;
    assert.deepEqual(
      plan.map((c) => `${changeClass(c)} ${c.kind} ${'action' in c ? c.action : ''}`),
      ['breaking ipvs-dest edit', 'breaking ipvs-dest drain'],
    );
    assert.equal(disruptionSummary(plan), 'breaking (2 breaking)');
  });

  test('a stopped daemon is started (restart); nothing pending has no class', () => {
    const d = desired({ daemons: [keepalived] });
    const f = convergedFacts(d);
    f.daemons.keepalived = { running: false };
    assert.equal(disruptionSummary(planHost(d, f).changes), 'restart (1 restart)');
    assert.equal(disruptionSummary([]), null);
  });
});
