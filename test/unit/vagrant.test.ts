// vagrant/Vagrantfile brings up inventories/vagrant-dr.yaml. Two checks, no VM and no network:
// `vagrant validate` accepts it (provider blocks ignored: no VirtualBox or libvirt needed), and the
// machines it defines — names, private-network addresses and netmasks, provisioners — are exactly
// the inventory's hosts. The second loads the Vagrantfile in plain Ruby under a stub `Vagrant`
// that records what it is told. Each skips with a message when vagrant / ruby is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { parseCidr } from '../../src/inventory/net.js';

process.env.LVS_VRRP_PASS = 'k33pal1v';

const ROOT = join(import.meta.dirname, '..', '..');
const VAGRANT_DIR = join(ROOT, 'vagrant');
const VAGRANTFILE = join(VAGRANT_DIR, 'Vagrantfile');
const INVENTORY = join(ROOT, 'inventories', 'vagrant-dr.yaml');

const scratch = mkdtempSync(join(tmpdir(), 'lvs-vagrant-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd = ROOT): { status: number; out: string; stdout: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      LC_ALL: 'C',
      VAGRANT_CHECKPOINT_DISABLE: '1', // no version check over the network
      VAGRANT_DOTFILE_PATH: join(scratch, 'dotfile'), // leave vagrant/.vagrant alone
      VAGRANT_HOME: join(scratch, 'home'),
    },
  });
  const stdout = r.stdout ?? '';
  return { status: r.status ?? (r.error ? 127 : 1), out: `${stdout}${r.stderr ?? ''}`.trim(), stdout };
}

const noVagrant = run('vagrant', ['--version']).status === 127;
const noRuby = run('ruby', ['--version']).status === 127;

// A stand-in for Vagrant: `Vagrant.configure` yields a recorder that accepts any setting and keeps,
// per `vm.define`d machine, its hostname, networks and provisioner names. Prints them as JSON.
const RECORDER = `
require 'json'
module Vagrant
  MACHINES = {}
  class Rec
    def initialize(machine = nil) = @machine = machine
    def respond_to_missing?(*) = true
    def method_missing(name, *args, **kw, &blk)
      if name == :define
        m = MACHINES[args.first.to_s] = { 'networks' => [], 'provisioners' => [] }
        blk&.call(Rec.new(m))
        return nil
      end
      if @machine
        case name
        when :hostname= then @machine['hostname'] = args.first
        when :network then @machine['networks'] << { 'type' => args.first.to_s }.merge(kw.transform_keys(&:to_s))
        when :provision then @machine['provisioners'] << args.first.to_s
        end
      end
      blk&.call(Rec.new(@machine))
      Rec.new(@machine)
    end
  end
  def self.configure(_version) = yield(Rec.new)
end
load ARGV.fetch(0)
puts JSON.generate(Vagrant::MACHINES)
`;

interface Machine {
  hostname?: string;
  networks: { type: string; ip?: string; netmask?: string }[];
  provisioners: string[];
}

function netmask(prefix: number): string {
  const n = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

describe('vagrant lab (vagrant/Vagrantfile ↔ inventories/vagrant-dr.yaml)', () => {
  test('vagrant validate accepts the Vagrantfile, offline', {
    skip: noVagrant ? 'vagrant is not installed (apt-get install vagrant)' : false,
  }, () => {
    const r = run('vagrant', ['validate', '--ignore-provider'], VAGRANT_DIR);
    assert.equal(r.status, 0, `vagrant validate:\n${r.out}`);
    assert.match(r.out, /validated successfully/);
  });

  test("the Vagrantfile's machines and addresses are exactly the inventory's hosts", {
    skip: noRuby ? 'ruby is not installed (it comes with vagrant)' : false,
  }, async () => {
    const r = run('ruby', ['-e', RECORDER, VAGRANTFILE]);
    assert.equal(r.status, 0, `loading the Vagrantfile under the recorder:\n${r.out}`);
    const machines = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, Machine>;
    const inv = await loadInventory(INVENTORY);

    assert.deepEqual(
      Object.keys(machines).sort(),
      Object.keys(inv.hosts).sort(),
      'one machine per inventory host',
    );
    const realServers = new Set(inv.services.flatMap((s) => s.real_servers.flatMap((rs) => rs.host ?? [])));
    for (const [name, h] of Object.entries(inv.hosts)) {
      const m = machines[name];
      assert.ok(m, name);
      assert.equal(m.hostname, name, `${name}: hostname`);
      const priv = m.networks.filter((n) => n.type === 'private_network');
      assert.equal(priv.length, 1, `${name}: one private network`);
      assert.equal(priv[0]?.ip, h.address, `${name}: private network address`);
      const cidr = Object.values(h.interfaces)
        .flat()
        .find((c) => c.split('/')[0] === h.address);
      const prefix = cidr ? parseCidr(cidr)?.prefix : undefined;
      assert.ok(prefix !== undefined, `${name}: the inventory gives ${h.address} a prefix`);
      assert.equal(priv[0]?.netmask, netmask(prefix), `${name}: netmask`);
      const expected = realServers.has(name)
        ? ['identity-httpd']
        : name === inv.verify?.from
          ? ['client-tools']
          : [];
      assert.deepEqual(m.provisioners, expected, `${name}: provisioners`);
    }
  });
});
