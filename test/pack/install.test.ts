// The package as a user gets it: npm pack → npm install -g into an empty prefix, run from an empty
// directory with no checkout around it. Every command that needs no host works, and finds its
// roles, templates and schema inside the installed package. Calls the `bin` package.json names,
// never a dist path, so a different build (a bundle) is tested the same way.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  files: string[];
  private?: boolean;
};

describe('npm pack → npm install -g → lvs-deploy works outside the checkout', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lvs-pack-'));
  const prefix = join(tmp, 'prefix');
  const work = join(tmp, 'work');
  const checkout = join(tmp, 'checkout');
  const installed = join(prefix, 'lib', 'node_modules', pkg.name);
  let bin = '';
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    // PATH without the checkout's node_modules/.bin; HOME in the temp dir: nothing of ours leaks in.
    const r = spawnSync(bin, args, {
      cwd: work,
      encoding: 'utf8',
      env: { PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`, HOME: tmp, ...env },
    });
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };

  before(() => {
    const npm = (args: string[], cwd: string) =>
      execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: 'pipe' });
    execFileSync('mkdir', ['-p', work, checkout]);
    // Pack a copy of the checkout (its files as git sees them, node_modules linked): prepack's
    // clean build then never pulls dist/ away from tests running beside this one.
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
    });
    execFileSync('tar', ['-C', ROOT, '--null', '-T', '-', '-cf', join(tmp, 'src.tar')], { input: files });
    execFileSync('tar', ['-C', checkout, '-xf', join(tmp, 'src.tar')]);
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    npm(['pack', '--pack-destination', tmp, '--silent'], checkout);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack wrote a tarball');
    npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(tmp, tgz)], work);
    const [name] = Object.keys(pkg.bin);
    bin = join(prefix, 'bin', name ?? 'lvs-deploy');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('the package is publishable and ships only what runs', (t) => {
    const kib = (args: string[]) =>
      Number(execFileSync('du', ['-sk', ...args], { encoding: 'utf8' }).split('\t')[0]);
    t.diagnostic(
      `installed: ${kib([installed])} KiB with dependencies, ${kib(['--exclude=node_modules', installed])} KiB lvs-deploy itself`,
    );
    assert.equal(pkg.private, undefined, 'not private');
    const top = readdirSync(installed)
      .filter((f) => f !== 'node_modules')
      .sort();
    assert.deepEqual(top, ['README.md', 'dist', 'docs', 'package.json', 'roles', 'schema', 'templates']);
    assert.ok(!existsSync(join(installed, 'src')) && !existsSync(join(installed, 'test')));
  });

  test('--help lists the commands', () => {
    const r = run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['validate', 'render', 'up', 'init', 'schema', 'graph'])
      assert.match(r.stdout, new RegExp(`\\n  ${c}\\b`));
  });

  test('init → validate → render → graph on the written inventory, from an empty directory', () => {
    const init = run(['init', '--mode', 'nat', '--manager', 'keepalived', '-o', 'lb.yaml']);
    assert.equal(init.code, 0, init.stderr);
    const first = readFileSync(join(work, 'lb.yaml'), 'utf8').split('\n')[0] ?? '';
    const schemaPath = first.replace(/^# yaml-language-server: \$schema=/, '');
    assert.ok(existsSync(schemaPath.startsWith('/') ? schemaPath : join(work, schemaPath)), first);
    assert.ok(schemaPath.includes(installed) || !schemaPath.startsWith('/'), 'points into the package');
    const v = run(['validate', 'lb.yaml']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /lb\.yaml: ok/);
    // render reads roles/ and templates/ from the package: keepalived.conf and the NAT route.
    const r = run(['render', 'lb.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /virtual_server 10\.100\.0\.10 80/);
    assert.match(r.stdout, /10\.100\.1\.1/);
    const g = run(['graph', 'lb.yaml']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /^<\?xml[\s\S]*<svg[\s\S]*lb1[\s\S]*<\/svg>\s*$/);
  });

  test('schema prints the shipped JSON Schema', () => {
    const r = run(['schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(installed, 'schema', 'inventory.schema.json'), 'utf8'));
  });

  test('a bad inventory is refused with FILE:LINE:COL and exit 2, as from the checkout', () => {
    const r = run(['validate', 'missing.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^missing\.yaml:1:1: /);
  });
});
