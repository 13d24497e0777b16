// What the Ansible side needs, generated per lab: the files lvs-deploy would install (rendered by
// `lvs-deploy render --out`, IPVS lines dropped exactly as `up --without-ipvs` drops them), an
// INI inventory and an ansible.cfg with the fastest honest settings.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabState } from '../src/lab/netns.js';
import { labFiles } from '../src/lab/state.js';
import type { BenchTopology } from './inventory.js';
import { cliArgv, exec } from './measure.js';

/** The same filter as withoutIpvs() in src/roles/without-ipvs.ts. */
const IPVS_LINE = /^(ip_vs|net\.ipv[46]\.vs\.)/;
const FILTERED = ['/etc/sysctl.d/90-lvs-deploy.conf', '/etc/modules-load.d/lvs-deploy.conf'];

export async function ansibleAvailable(): Promise<string | undefined> {
  const r = await exec(['ansible-playbook', '--version']).catch(() => undefined);
  return r && r.code === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
}

export async function prepareAnsible(
  state: LabState,
  topo: BenchTopology,
  inventory: string,
  dir: string,
): Promise<void> {
  const render = join(dir, 'render');
  const r = await exec([...cliArgv().argv, 'render', inventory, '--out', render]);
  if (r.code !== 0) throw new Error(`lvs-deploy render --out failed: ${r.stderr.trim()}`);
  for (const h of topo.hosts) {
    for (const path of FILTERED) {
      const file = join(render, h.name, path);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      writeFileSync(
        file,
        text
          .split('\n')
          .filter((l) => !IPVS_LINE.test(l))
          .join('\n'),
      );
    }
  }
  const f = labFiles(state.stateDir);
  const line = (name: string) => {
    const s = state.hosts[name];
    if (!s) throw new Error(`no lab host ${name}`);
    return `${name} ansible_host=${s.address} ansible_port=${s.port}`;
  };
  const group = (role: string) => topo.hosts.filter((h) => h.role === role).map((h) => line(h.name));
  writeFileSync(
    join(dir, 'hosts.ini'),
    `[directors]\n${group('director').join('\n')}\n\n[realservers]\n${group('realserver').join('\n')}\n\n` +
      `[all:vars]\nansible_user=root\nrender_dir=${render}\nvip=${topo.vip}\n`,
  );
  mkdirSync(join(dir, 'cp'), { recursive: true });
  const forks = Math.max(50, topo.hosts.length);
  writeFileSync(
    join(dir, 'ansible.cfg'),
    `[defaults]
forks = ${forks}
gathering = explicit
host_key_checking = True
interpreter_python = /usr/bin/python3
private_key_file = ${f.identity}
retry_files_enabled = False
timeout = 30

[ssh_connection]
pipelining = True
ssh_args = -F none -o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${f.knownHosts}
control_path_dir = ${join(dir, 'cp')}
control_path = %(directory)s/%%C
`,
  );
}
