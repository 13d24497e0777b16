import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { quote, renderScript, SCRIPT_PRELUDE, sh, wrapForStdin } from '../../src/connection/shell.js';
import { Secret, SecretText } from '../../src/inventory/secrets.js';

const TRICKY = [
  '',
  'plain',
  "it's",
  "''",
  'a "double" quote',
  'two\nlines\n',
  '$(touch /tmp/lvs-deploy-pwned)',
  '`id`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the test input
  '$HOME ${PATH} $1 $@',
  'back\\slash\\',
  ' leading and trailing ',
  '*?[a-z]~',
  'semi;colon && pipe | amp & redirect > <',
  '-n',
  'FOO=bar',
  'tab\there',
  'ünïcødé ✓',
];

/** What the real sh sees: printf %s each argument, NUL-separated. */
function throughSh(command: string): string[] {
  const out = execFileSync('sh', ['-c', command], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

test('quoted strings reach sh byte for byte, nothing expands', () => {
  for (const s of TRICKY) {
    assert.deepEqual(throughSh(`printf '%s\\0' ${quote(s)}`), [s], `quote(${JSON.stringify(s)})`);
  }
});

test('plain words stay readable, everything else is single-quoted', () => {
  assert.equal(quote('eth0'), 'eth0');
  assert.equal(quote('10.0.0.1/24'), '10.0.0.1/24');
  assert.equal(quote(''), "''");
  assert.equal(quote('FOO=bar'), "'FOO=bar'");
  assert.equal(quote("it's"), "'it'\\''s'");
  assert.throws(() => quote('a\0b'), /NUL/);
});

test('sh template quotes every value and splits arrays into words', () => {
  const frag = sh`printf '%s\\0' ${TRICKY} ${42}`;
  assert.deepEqual(throughSh(frag.render()), [...TRICKY, '42']);
});

test('nested sh fragments are spliced, not re-quoted', () => {
  const inner = sh`printf '%s\\0' ${'a b'}`;
  const outer = sh`${inner}; ${inner}`;
  assert.deepEqual(throughSh(outer.render()), ['a b', 'a b']);
});

test('a secret is revealed for the host and masked for logs', () => {
  const secret = new Secret("pa$$ 'word'", 'env TEST');
  const script = renderScript(sh`printf '%s\\0' ${secret} ${'visible'}`);
  assert.ok(!script.masked.includes('pa$$'));
  assert.match(script.masked, /'\*\*\*' visible/);
  assert.ok(script.script.includes(quote("pa$$ 'word'")));
  assert.deepEqual(throughSh(script.script), ["pa$$ 'word'", 'visible']);
  assert.equal(String(sh`x ${secret}`), "x '***'");
});

test('a file holding a secret reaches the host whole and the log with only the secret masked', () => {
  const conf = 'vrrp_instance VI_1 {\n  priority 100\n  auth_pass k33pal1v\n  # k33pal1v again\n}\n';
  const f = sh`printf '%s' ${new SecretText(conf, ['k33pal1v'])} > /etc/keepalived/keepalived.conf`;
  assert.deepEqual(throughSh(sh`printf '%s\\0' ${new SecretText(conf, ['k33pal1v'])}`.render()), [conf]);
  assert.ok(!f.masked().includes('k33pal1v'));
  assert.match(f.masked(), /priority 100\n {2}auth_pass \*\*\*\n {2}# \*\*\* again/);
  assert.equal(String(f), f.masked());
});

test('scripts start with the fixed locale and PATH, then set -eu', () => {
  const { script } = renderScript([sh`echo ${'one'}`, sh`echo two`]);
  assert.equal(script, `${SCRIPT_PRELUDE}\nset -eu\necho one\necho two\n`);
  assert.ok(renderScript(sh`true`, { strict: false }).script.startsWith(`${SCRIPT_PRELUDE}\ntrue`));
});

test('a rendered script runs under dash-compatible sh and stops at the first failure', () => {
  const { script } = renderScript([sh`echo "$LC_ALL"`, sh`false`, sh`echo unreachable`]);
  let status = 0;
  let stdout = '';
  try {
    execFileSync('sh', ['-s'], { input: wrapForStdin(script), encoding: 'utf8' });
  } catch (err) {
    const e = err as { status: number; stdout: string };
    status = e.status;
    stdout = e.stdout;
  }
  assert.equal(status, 1);
  assert.equal(stdout, 'C\n');
});

test('wrapped script: a command reading stdin cannot eat the rest of the script', () => {
  const run = spawnSync('sh', ['-s'], {
    input: wrapForStdin('cat\necho after-cat\nexit 3'),
    encoding: 'utf8',
  });
  assert.equal(run.stdout, 'after-cat\n');
  assert.equal(run.status, 3);
});

test('wrapped script with stdin: exact bytes and the exit code come back', () => {
  const data = 'no trailing newline\n\nLVS_DEPLOY_STDIN_END\n$(x) `y`';
  const out = execFileSync('sh', ['-s'], {
    input: wrapForStdin('cat; printf "|%s" "$LC_ALL-"', data),
    encoding: 'utf8',
  });
  assert.equal(out, `${data}|-`);
  let status = 0;
  try {
    execFileSync('sh', ['-s'], { input: wrapForStdin('cat >/dev/null; exit 7', data) });
  } catch (err) {
    status = (err as { status: number }).status;
  }
  assert.equal(status, 7);
});
