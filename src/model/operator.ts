// Operator state: what a person decided at run time (a drain), as opposed to the inventory's
// desired state. Recorded on every director in operator.json (contract: docs/operator-state.md),
// written by `drain`/`enable` as a file `up` owns, read by the facts section `operator` and by
// `status`. A missing file means no drains. The one declaration of the contract.
export const OPERATOR_FILE = '/var/lib/lvs-deploy/operator.json';

export interface Drain {
  /** The service's name in the inventory. */
  service: string;
  /** The real server as the inventory names it: its `host`, else its address. */
  real_server: string;
  /** ISO 8601. */
  since: string;
  /** `<user>@<control host>`. */
  by: string;
}

export interface OperatorState {
  version: 1;
  drains: Drain[];
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Parse operator.json; missing (undefined/empty) = no drains. Throws on anything else unreadable. */
export function parseOperator(text: string | undefined): Drain[] {
  if (text === undefined || text.trim() === '') return [];
  const data = JSON.parse(text) as { version?: unknown; drains?: unknown };
  if (data.version !== 1) throw new Error(`operator.json: unknown version ${String(data.version)}`);
  if (!Array.isArray(data.drains)) throw new Error('operator.json: "drains" is not a list');
  return data.drains.map((d: Record<string, unknown>, i) => {
    if (!isString(d.service) || !isString(d.real_server) || !isString(d.since) || !isString(d.by))
      throw new Error(`operator.json: drains[${i}] needs service, real_server, since and by`);
    return { service: d.service, real_server: d.real_server, since: d.since, by: d.by };
  });
}

export const drainKey = (d: Pick<Drain, 'service' | 'real_server'>) => `${d.service}\u0000${d.real_server}`;

export function sortDrains(drains: Drain[]): Drain[] {
  // Plain code-unit order (not the locale's): the file must render the same on every machine.
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...drains].sort((a, b) => cmp(a.service, b.service) || cmp(a.real_server, b.real_server));
}

/** Byte-stable rendering: `up` rewrites it identically, so a converged director plans nothing. */
export function renderOperator(drains: Drain[]): string {
  const state: OperatorState = { version: 1, drains: sortDrains(drains) };
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** "web1 drained by operator since <time>" lines for plan/up reports. */
export function drainNotes(drains: Drain[]): string[] {
  return sortDrains(drains).map(
    (d) => `${d.real_server} drained by operator since ${d.since} (service ${d.service}, by ${d.by})`,
  );
}

/** The whole file as `status` reports it; '' (missing file) is no drains. */
export function parseOperatorState(text: string): OperatorState {
  return { version: 1, drains: parseOperator(text) };
}
