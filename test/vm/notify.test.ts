// keepalived's mail notifications (seed 002's notification_email, smtp_server, smtp_alert), on a
// real keepalived pair in the VM lab: each director relays to a small SMTP listener this test runs
// on its loopback (smtp_server 127.0.0.1:2525). After `up` the MASTER mails that it entered MASTER
// state; when the MASTER's keepalived dies, the BACKUP mails that it took over.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quote } from '../../src/connection/shell.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { labEnv } from '../../src/lab/netns.js';
import { type VmLabState, vmHostExec, vmLabDown, vmLabUp } from '../../src/lab/vm/index.js';
import { cliInLab } from '../helpers/cli.js';

process.env.LVS_VRRP_PASS ??= 'vm-test1';

const FILE = join(import.meta.dirname, 'notify.yaml');
const MAILBOX = '/tmp/lvs-notify-mail';
const PIDFILE = '/tmp/lvs-notify.pid';
const LOG = '/tmp/lvs-notify.log';
const FROM = 'dmz-lb-keepalived@mydomain.org';
const TO = ['admin@mydomain.org', 'noc@mydomain.org'];

const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !existsSync('/usr/bin/qemu-system-x86_64')
      ? 'qemu missing'
      : false;

// Just enough SMTP for keepalived: 220, 250 to HELO/EHLO/MAIL/RCPT, 354 to DATA, the message up to
// a lone ".", 250, 221 to QUIT. Each message is appended to the mailbox (mbox style: a "From
// <envelope sender> <time>" line, the envelope recipients, then the message as sent). It writes its
// own PID once it listens, so the test stops exactly this process.
const SMTP_LISTENER = String.raw`
use strict; use warnings; use IO::Socket::IP;
my ($port, $out, $pidfile) = @ARGV;
my $srv = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => $port, Listen => 16, ReuseAddr => 1)
  or die "listen 127.0.0.1:$port: $@\n";
open(my $pf, '>', "$pidfile.tmp") or die "$pidfile: $!\n"; print $pf "$$\n"; close $pf;
rename("$pidfile.tmp", $pidfile) or die "$pidfile: $!\n";
$SIG{PIPE} = 'IGNORE';
while (my $c = $srv->accept) {
  $c->autoflush(1);
  my ($from, @to, $data) = ('');
  print $c "220 lvs-notify test listener\r\n";
  eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 60;
    while (defined(my $l = <$c>)) {
      if (defined $data) {
        if ($l =~ /^\.\r?\n\z/) {
          $data =~ s/\r\n/\n/g;
          open(my $fh, '>>', $out) or die "$out: $!\n";
          print $fh "From $from " . time() . "\nX-Envelope-To: " . join(', ', @to) . "\n$data\n";
          close $fh;
          undef $data;
          print $c "250 stored\r\n";
        } else { $l =~ s/^\.//; $data .= $l; }
      }
      elsif ($l =~ /^(?:HELO|EHLO)\b/i) { print $c "250 lvs-notify\r\n" }
      elsif ($l =~ /^MAIL FROM:\s*<?([^>\r\n]*)>?/i) { ($from, @to) = ($1); print $c "250 ok\r\n" }
      elsif ($l =~ /^RCPT TO:\s*<?([^>\r\n]*)>?/i) { push @to, $1; print $c "250 ok\r\n" }
      elsif ($l =~ /^DATA\b/i) { $data = ''; print $c "354 end with <CRLF>.<CRLF>\r\n" }
      elsif ($l =~ /^QUIT\b/i) { print $c "221 bye\r\n"; last }
      elsif ($l =~ /^(?:RSET|NOOP)\b/i) { print $c "250 ok\r\n" }
      else { print $c "502 not implemented\r\n" }
    }
    alarm 0;
  };
  close $c;
}
`;

interface Mail {
  /** MAIL FROM and RCPT TO, as the listener received them. */
  envelopeFrom: string;
  envelopeTo: string;
  /** Header name (lower case) → value. */
  headers: Record<string, string>;
  body: string;
}

function parseMailbox(text: string): Mail[] {
  return text
    .split(/^(?=From \S* \d+$)/m)
    .filter((chunk) => chunk.startsWith('From '))
    .map((chunk) => {
      const split = chunk.indexOf('\n\n');
      const head = (split < 0 ? chunk : chunk.slice(0, split)).split('\n');
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const m = /^([\w-]+):\s*(.*)$/.exec(line);
        if (m?.[1] && m[2] !== undefined) headers[m[1].toLowerCase()] = m[2];
      }
      return {
        envelopeFrom: head[0]?.split(' ')[1] ?? '',
        envelopeTo: headers['x-envelope-to'] ?? '',
        headers,
        body: split < 0 ? '' : chunk.slice(split + 2).trim(),
      };
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keepalived mails every VRRP state change through smtp_server (real keepalived pair)', {
  skip,
}, () => {
  let inv: Inventory | undefined;
  let state: VmLabState | undefined;
  const lab = (): VmLabState => {
    assert.ok(state, 'the VM lab is up');
    return state;
  };
  const lvs = (args: string[]) => cliInLab(lab().controlNs, labEnv(lab()), args);
  const sh = async (host: string, cmd: string) => {
    const r = await vmHostExec(lab(), host, cmd, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${host}: ${cmd}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const mailbox = async (host: string) => parseMailbox(await sh(host, `cat ${MAILBOX} 2>/dev/null || true`));
  const entered = (host: string, st: 'MASTER' | 'BACKUP') => (m: Mail) =>
    m.headers.subject === `[${host}] VRRP Instance VI_1 - Entering ${st} state`;
  const holdsVip = async (host: string) =>
    (await sh(host, `ip -o addr show | grep -c ' 10.79.1.100/' || true`)).trim() === '1';

  /** Poll `check` every second until it returns a value, for at most `ms`. */
  async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) assert.fail(`gave up after ${ms / 1000} s waiting for ${what}`);
      await sleep(1000);
    }
  }

  /** A mail from keepalived as seed 002 configures it: its sender, every recipient, both ways. */
  function assertAddressed(m: Mail): void {
    assert.equal(m.headers.from, FROM);
    assert.equal(m.headers.to, TO.join(', '));
    assert.equal(m.envelopeFrom, FROM);
    assert.equal(m.envelopeTo, TO.join(', '));
  }

  before(async () => {
    inv = await loadInventory(FILE);
    state = await vmLabUp(inv);
    // Listening before `up` starts keepalived, so the very first state change is caught.
    for (const d of inv.directors.hosts) {
      const pid = await sh(
        d,
        [
          `rm -f ${MAILBOX} ${PIDFILE}`,
          `perl -e ${quote(SMTP_LISTENER)} 2525 ${MAILBOX} ${PIDFILE} </dev/null >${LOG} 2>&1 &`,
          `i=0; while [ ! -s ${PIDFILE} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`,
          `[ -s ${PIDFILE} ] || { cat ${LOG}; exit 1; }`,
          `cat ${PIDFILE}`,
        ].join('\n'),
      );
      assert.match(pid, /^\d+\n$/, `${d}: the SMTP listener's PID`);
    }
  });

  // Also after a failure: stop the listeners by the PIDs they wrote, then the whole lab.
  after(async () => {
    if (state && inv) {
      for (const d of inv.directors.hosts)
        await vmHostExec(state, d, `[ -s ${PIDFILE} ] && kill "$(cat ${PIDFILE})" || true`).catch(
          () => undefined,
        );
    }
    await vmLabDown(inv ?? 'vm-notify');
  });

  test('after up, the MASTER (lb1) mails that it entered MASTER state, from notification_email_from to every notification_email', {
    timeout: 300_000,
  }, async () => {
    const r = await lvs(['up', FILE]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const t0 = Date.now();
    const mail = await waitFor('lb1 to mail "Entering MASTER state"', 90_000, async () =>
      (await mailbox('lb1')).find(entered('lb1', 'MASTER')),
    );
    process.stdout.write(
      `# lb1's MASTER mail arrived ${((Date.now() - t0) / 1000).toFixed(1)} s after up returned\n`,
    );
    assertAddressed(mail);
    assert.match(mail.body, /now owning VRRP VIPs/);
    assert.ok(await holdsVip('lb1'), 'the mail is true: lb1 holds the VIP');
  });

  test('the MASTER dies: the BACKUP (lb2) mails that it entered MASTER state', {
    timeout: 300_000,
  }, async () => {
    // Settled first: lb1 holds the VIP and lb2 does not. lb2 may have been MASTER for a moment
    // during up (it starts first), so only a MASTER mail that arrives after the kill counts.
    await waitFor('lb1 alone to hold the VIP', 60_000, async () =>
      (await holdsVip('lb1')) && !(await holdsVip('lb2')) ? true : undefined,
    );
    const sent = await mailbox('lb2');
    process.stdout.write(`# lb2 mailed before the kill: ${sent.map((m) => m.headers.subject).join('; ')}\n`);
    const earlier = sent.filter(entered('lb2', 'MASTER')).length;
    await sh('lb1', 'kill "$(cat /run/keepalived.pid)"');
    const t0 = Date.now();
    const mail = await waitFor(
      'lb2 to mail "Entering MASTER state" after the kill',
      90_000,
      async () => (await mailbox('lb2')).filter(entered('lb2', 'MASTER'))[earlier],
    );
    process.stdout.write(
      `# lb2's MASTER mail arrived ${((Date.now() - t0) / 1000).toFixed(1)} s after lb1's keepalived was killed\n`,
    );
    assertAddressed(mail);
    assert.equal(mail.headers.subject, '[lb2] VRRP Instance VI_1 - Entering MASTER state');
    assert.match(mail.body, /now owning VRRP VIPs/);
    assert.ok(await holdsVip('lb2'), 'the mail is true: lb2 holds the VIP');
  });
});
