// The VRRP password never leaves the host it is meant for: a canary given through { env } in one run
// and { file } in another goes through every command (render, validate, plan, up, up --json,
// up --debug, verify, verify --json, down) and must never appear in any stdout or stderr — not even
// encoded. On the directors (seed 002's keepalived pair in a netns lab, --without-ipvs so they
// converge on this IPVS-less kernel) keepalived.conf really holds it, passed `keepalived -t`, and
// every file on the host that holds it (the config, backups, originals) is unreadable by others.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadInventory } from '../../src/inventory/load.js';
import { hostExec, type LabState, labDown, labEnv, labUp } from '../../src/lab/netns.js';
import { cliInLab, ROOT } from '../helpers/cli.js';

const root = process.getuid?.() === 0;
// ≤ 8 characters (keepalived cuts auth_pass at 8) and none the loader refuses (space, quotes,
// braces, '#', '!', backslash). The '%' also catches a printf that takes the secret as a format.
const CANARY = 'Kx9%qZ2m';
const LAB = 'lvs-secrets-kad';
const DIRECTORS = ['lb1', 'lb2'];
const CONF = '/etc/keepalived/keepalived.conf';
/** Where a copy of the secret may end up on a host. */
const SEARCHED = '/etc /var/lib/lvs-deploy /var/tmp /tmp /root /home /run/keepalived*';

/** The canary and the encodings a careless log line could carry it in. */
const LEAKS: [string, string][] = [
  ['plain', CANARY],
  ['base64', Buffer.from(CANARY).toString('base64').replace(/=+$/, '')],
  ['hex', Buffer.from(CANARY).toString('hex')],
  ['JSON-escaped', JSON.stringify(CANARY).slice(1, -1)],
  ['shell-quoted', `'${CANARY}'`],
  ['URL-encoded', encodeURIComponent(CANARY)],
];

function assertNoLeak(what: string, text: string): void {
  for (const [how, needle] of LEAKS) {
    assert.ok(
      !text.includes(needle),
      `${what} prints the VRRP password (${how}):\n${text.slice(Math.max(0, text.indexOf(needle) - 300), text.indexOf(needle) + 300)}`,
    );
  }
}

describe('the VRRP password is never printed and stays private on the directors', {
  skip: root ? false : 'needs root (network namespaces)',
}, () => {
  let state: LabState;
  let tmp: string;
  let envInv: string;
  let fileInv: string;
  let passFile: string;
  const sh = async (host: string, cmd: string) => (await hostExec(state, host, cmd)).stdout;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lvs-secrets-'));
    const seed = readFileSync(join(ROOT, 'inventories', 'seed-002-dr-keepalived.yaml'), 'utf8').replace(
      /^name: .*$/m,
      `name: ${LAB}`,
    );
    assert.match(seed, /auth_pass: \{ env: LVS_VRRP_PASS \}/);
    envInv = join(tmp, 'env.yaml');
    writeFileSync(envInv, seed);
    passFile = join(tmp, 'vrrp.pass');
    writeFileSync(passFile, `${CANARY}\n`);
    chmodSync(passFile, 0o600);
    fileInv = join(tmp, 'file.yaml');
    writeFileSync(
      fileInv,
      seed.replace('auth_pass: { env: LVS_VRRP_PASS }', `auth_pass: { file: ${passFile} }`),
    );
    process.env.LVS_VRRP_PASS = CANARY;
    const inv = await loadInventory(envInv);
    assert.equal(inv.directors.vrrp?.auth_pass?.reveal(), CANARY, 'the loader refused or changed the canary');
    assert.equal((await loadInventory(fileInv)).directors.vrrp?.auth_pass?.reveal(), CANARY);
    state = (await labUp(inv)).state;
  });
  after(async () => {
    delete process.env.LVS_VRRP_PASS;
    if (state) await labDown(LAB);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Files on `host` that hold the canary, with their octal mode. */
  const holders = async (host: string) =>
    (
      await sh(
        host,
        `grep -rlF -- '${CANARY}' ${SEARCHED} 2>/dev/null | while read -r f; do stat -c '%a %n' "$f"; done`,
      )
    )
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => ({
        mode: Number.parseInt(l.split(' ')[0] ?? '777', 8),
        path: l.slice(l.indexOf(' ') + 1),
      }));

  const assertPrivate = async (host: string, when: string) => {
    for (const f of await holders(host)) {
      assert.equal(
        f.mode & 0o007,
        0,
        `${host}: ${f.path} holds the VRRP password and is mode ${f.mode.toString(8)} (${when})`,
      );
    }
  };

  for (const via of ['env', 'file'] as const) {
    test(`given via { ${via} }: no command prints it; keepalived.conf holds it, mode 0640/0600; backups are private`, {
      timeout: 240_000,
    }, async (t) => {
      const file = via === 'env' ? envInv : fileInv;
      const env = labEnv(state);
      if (via === 'env') env.LVS_VRRP_PASS = CANARY;
      else delete env.LVS_VRRP_PASS;
      const seen: string[] = [];
      const lvs = async (args: string[], expectCodes: number[]) => {
        const t0 = Date.now();
        const r = await cliInLab(state.controlNs, env, args);
        const what = `lvs-deploy ${args.join(' ')} (via ${via})`;
        assertNoLeak(`${what}: stdout`, r.stdout);
        assertNoLeak(`${what}: stderr`, r.stderr);
        assert.ok(expectCodes.includes(r.code), `${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
        seen.push(`${args[0]} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return r;
      };
      const x = ['--without-ipvs'];

      await lvs(['validate', file], [0]);
      const rendered = await lvs(['render', file], [0]);
      assert.match(
        rendered.stdout,
        /auth_pass \*\*\*/,
        'render shows the masked password in keepalived.conf',
      );
      await lvs(['plan', file, ...x], [0]);
      const up = await lvs(['up', file, ...x], [0]);
      assert.match(up.stdout, /keepalived\.conf/);

      for (const d of DIRECTORS) {
        const conf = await sh(d, `cat ${CONF}`);
        assert.ok(
          conf.includes(`auth_pass ${CANARY}`),
          `${d}: keepalived.conf does not hold the password:\n${conf}`,
        );
        const mode = (await sh(d, `stat -c %a ${CONF}`)).trim();
        assert.ok(['640', '600'].includes(mode), `${d}: keepalived.conf is mode ${mode}`);
        // Exactly what the host runs before the swap: the real validator on the real file.
        const t = await hostExec(state, d, `keepalived -t -f ${CONF}`);
        assert.equal(t.code, 0, `${d}: keepalived -t refuses the written config: ${t.stderr}`);
        await assertPrivate(d, 'after up');
      }

      await lvs(['plan', file, ...x], [0]);
      const again = await lvs(['up', file, '--json', ...x], [0]);
      assert.ok(
        JSON.parse(again.stdout).hosts.every((h: { status: string }) => h.status === 'ok'),
        again.stdout,
      );
      // verify sends traffic through the VIPs, which this kernel cannot do: only its output matters.
      await lvs(['verify', file], [0, 1]);
      await lvs(['verify', file, '--json'], [0, 1]);
      await lvs(['down', file, ...x], [0]);
      for (const d of DIRECTORS) {
        assert.equal(
          (await hostExec(state, d, `test -e ${CONF}`)).code,
          1,
          `${d}: down left keepalived.conf`,
        );
        // down backed the config up before removing it: the copy must be as private as the file.
        const backups = await holders(d);
        assert.ok(
          backups.some((f) => f.path.startsWith('/var/lib/lvs-deploy/backup/')),
          `${d}: no backup holds the config after down`,
        );
        await assertPrivate(d, 'after down');
      }

      // --debug prints the apply script: the step that writes keepalived.conf shows the file with
      // only the secret masked (assertNoLeak checks the secret itself is nowhere in any form).
      const debug = await lvs(['up', file, '--debug', ...x], [0]);
      assert.match(debug.stderr, /apply script \(secrets masked\)/);
      assert.match(debug.stderr, /^ {4}auth_pass \*\*\*$/m);
      assert.match(debug.stderr, /> \/etc\/keepalived\/keepalived\.conf\.lvs-new$/m);
      for (const d of DIRECTORS) {
        assert.ok((await sh(d, `cat ${CONF}`)).includes(`auth_pass ${CANARY}`));
        await assertPrivate(d, 'after up --debug');
      }
      await lvs(['down', file, ...x], [0]);
      for (const d of DIRECTORS) await assertPrivate(d, 'after the second down');
      assert.equal(seen.length, 11);
      t.diagnostic(seen.join('; '));
    });
  }
});
