// Options shared by the commands that reach hosts (up, plan, down, verify).
import { UsageError } from '../../errors.js';
import type { Inventory } from '../../inventory/types.js';
import { resolveLimit } from '../../roles/inventory-data.js';

/** `--limit a,b`: host or group names from the inventory, or exit 2 naming the unknown ones. */
export function hostList(text: string | undefined, inv: Inventory, flag = '--limit'): string[] | undefined {
  if (text === undefined) return undefined;
  const wanted = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const { hosts, unknown } = resolveLimit(inv, wanted);
  if (unknown.length > 0)
    throw new UsageError(`${flag}: unknown host(s) or group(s) ${unknown.join(', ')} (not in ${inv.file})`);
  return hosts;
}

/** `--connect-timeout SECONDS` overrides every host's ssh.connect_timeout (jump hosts included). */
export function applyConnectTimeout(inv: Inventory, text: string | undefined): void {
  if (text === undefined) return;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600)
    throw new UsageError(`--connect-timeout expects seconds between 0 and 3600, got "${text}"`);
  inv.ssh.connect_timeout = n;
  for (const h of Object.values(inv.hosts)) h.ssh.connect_timeout = n;
}
