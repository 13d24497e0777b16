// A file holding a secret is shown with only the secret masked: the rest of a keepalived.conf
// diff (a weight, a real server) is what the operator needs to see before `up`.
const MASK = '***';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Mask every known secret value standing as a word, and whatever follows a secret-bearing
 * keyword (`auth_pass`): the host's file may still hold an older password the loader never saw.
 */
export function maskSecretText(text: string, secrets: string[]): string {
  let out = text.replace(/^(\s*auth_pass\s+)\S+/gm, `$1${MASK}`);
  for (const s of secrets) {
    if (s === '') continue;
    out = out.replace(new RegExp(`(^|\\s)${escapeRe(s)}(?=\\s|$)`, 'gm'), `$1${MASK}`);
  }
  return out;
}
