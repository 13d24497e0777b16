// The local apt repository the Vagrant lab's guests install from: the .deb files of keepalived,
// ipvsadm and what they depend on, taken from this machine's apt cache (apt-get download for any
// the cache lacks — this machine's own apt, never the guests), indexed with dpkg-scanpackages, and
// served over HTTP on the host side of the isolated lab network only.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, join } from 'node:path';
import { run } from './libvirt.js';

/** What `up` installs on the lab's hosts (directors: keepalived + ipvsadm; clients: curl, lynx). */
const WANTED = ['keepalived', 'ipvsadm', 'curl', 'lynx'];
export const REPO_DIR = '/var/cache/lvs-deploy/vagrant-apt-repo';

const CLOSURE = `apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "$@" | grep -v '^ ' | grep -v '^<' | sort -u`;

// Copy each package's cached .deb when the cache has its candidate version, else download it.
const FETCH = `set -eu
cd "$1"; shift
# shellcheck disable=SC2046
apt-cache policy $(${CLOSURE}) | awk '/^[^ ].*:$/ { p = substr($1, 1, length($1) - 1) } /Candidate:/ { print p, $2 }' |
while read -r p v; do
  [ "$v" != "(none)" ] || continue
  f=$(ls /var/cache/apt/archives/"$p"_"$(echo "$v" | sed 's/:/%3a/')"_*.deb 2>/dev/null | head -n1 || true)
  if [ -n "$f" ]; then cp "$f" .; else apt-get download -q "$p=$v" >/dev/null; fi
done`;

/** Build the repository once (kept in REPO_DIR for later runs); returns its directory. */
export function buildRepo(): string {
  if (existsSync(join(REPO_DIR, 'Release'))) return REPO_DIR;
  run('mkdir', ['-p', REPO_DIR]);
  const f = run('sh', ['-c', FETCH, 'fetch', REPO_DIR, ...WANTED], 300_000);
  if (f.code !== 0) throw new Error(`fetching .deb files: ${f.out}`);
  const scan = run('sh', ['-c', `cd ${REPO_DIR} && dpkg-scanpackages --multiversion . /dev/null`], 120_000);
  if (scan.code !== 0) throw new Error(`dpkg-scanpackages: ${scan.out}`);
  const packages = scan.out.replace(/^dpkg-scanpackages: .*\n/gm, '');
  writeFileSync(join(REPO_DIR, 'Packages'), packages);
  const sha = createHash('sha256').update(packages).digest('hex');
  writeFileSync(
    join(REPO_DIR, 'Release'),
    [
      'Origin: lvs-deploy-vagrant-test',
      'Label: lvs-deploy-vagrant-test',
      `Date: ${new Date().toUTCString()}`,
      'SHA256:',
      ` ${sha} ${Buffer.byteLength(packages)} Packages`,
      '',
    ].join('\n'),
  );
  return REPO_DIR;
}

/** Serve `dir` read-only on address:port; only plain file names (no paths) are answered. */
export function serveRepo(dir: string, address: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const name = basename(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
    const file = join(dir, name);
    if (!name || name.startsWith('.') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

/** Package names in the repository (for messages). */
export const repoPackages = (dir: string): string[] =>
  [...readFileSync(join(dir, 'Packages'), 'utf8').matchAll(/^Package: (.+)$/gm)].map((m) => m[1] ?? '');
