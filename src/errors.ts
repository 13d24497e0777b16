// Errors are values with a kind and an exit code. The CLI turns each into one clear line;
// a stack trace is a bug unless --debug.

export class LvsError extends Error {
  readonly exitCode: number;
  readonly kind: string;

  constructor(kind: string, message: string, exitCode: number) {
    super(message);
    this.kind = kind;
    this.exitCode = exitCode;
  }

  /** Lines for the user; one per problem. */
  lines(): string[] {
    return [this.message];
  }
}

export interface InventoryProblem {
  file: string;
  line: number;
  col: number;
  /** Dotted path to the field, e.g. `services[0].real_servers[1].port`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(p: InventoryProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Bad input: nothing was contacted. Exit code 2. */
export class InventoryError extends LvsError {
  readonly problems: InventoryProblem[];

  constructor(problems: InventoryProblem[]) {
    super('inventory', problems.map(formatProblem).join('\n'), 2);
    this.problems = problems;
  }

  override lines(): string[] {
    return this.problems.map(formatProblem);
  }
}

/** Bad command-line usage. Exit code 2. */
export class UsageError extends LvsError {
  constructor(message: string) {
    super('usage', message, 2);
  }
}

/** A template failed to render: a bug in a role or template, found before any host is contacted. */
export class RenderError extends LvsError {
  constructor(message: string) {
    super('render', message, 2);
  }
}
