// Operator state: what a person decided at run time (a drain), as opposed to the inventory's
// desired state. Recorded on every director in one small JSON file (docs/operator-state.md);
// `status` reads it, `drain`/`enable` write it. A missing file means no drains.

export const OPERATOR_FILE = '/var/lib/lvs-deploy/operator.json';

export interface OperatorDrain {
  /** Service name from the inventory. */
  service: string;
  /** Inventory host name of the real server, or its address when it has none. */
  real_server: string;
  /** ISO 8601. */
  since: string;
  /** `<user>@<control host>` */
  by: string;
}

export interface OperatorState {
  version: 1;
  drains: OperatorDrain[];
}

/** Parse the file's text; '' (missing file) is no drains. Throws on anything else it cannot read. */
export function parseOperatorState(text: string): OperatorState {
  if (text.trim() === '') return { version: 1, drains: [] };
  const raw = JSON.parse(text) as { version?: unknown; drains?: unknown };
  if (raw.version !== 1) throw new Error(`operator.json: unsupported version ${String(raw.version)}`);
  if (!Array.isArray(raw.drains)) throw new Error('operator.json: "drains" is not a list');
  const drains = raw.drains.map((d: Partial<OperatorDrain>, i: number) => {
    for (const k of ['service', 'real_server', 'since', 'by'] as const)
      if (typeof d[k] !== 'string') throw new Error(`operator.json: drains[${i}].${k} is not a string`);
    return { service: d.service, real_server: d.real_server, since: d.since, by: d.by } as OperatorDrain;
  });
  return { version: 1, drains };
}
