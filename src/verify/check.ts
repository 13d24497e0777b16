// One verdict of `verify` (and the shape of its --json `checks`).
export interface Check {
  host: string;
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}
