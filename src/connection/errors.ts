// SSH failures as values. Each kind reads differently to the user: "unreachable" means fix the
// network, "auth" the key, "hostkey" the known_hosts file, "sudo" the sudoers file.
import { LvsError } from '../errors.js';

export type SshErrorKind = 'unreachable' | 'auth' | 'hostkey' | 'timeout' | 'sudo' | 'channel';

export interface HostKeyDetail {
  /** `ok` never reaches an error; kept in the type so callers can pass a verdict through. */
  status: 'unknown' | 'changed' | 'revoked';
  keyType: string;
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: string;
  /** The known_hosts file consulted. */
  file: string;
  /** Line of the conflicting (changed) or revoking entry; absent for unknown keys. */
  line?: number;
}

export interface SshErrorInit {
  /** What was being done when it failed: `connect`, `facts`, `apply`, … */
  phase: string;
  hint?: string;
  hostKey?: HostKeyDetail;
  cause?: unknown;
}

/** Exit code 1: the host failed; other hosts may still be fine. */
export class SshError extends LvsError {
  override readonly kind: SshErrorKind;
  /** Inventory name of the host. */
  readonly host: string;
  readonly phase: string;
  /** The message without the `host: phase:` prefix. */
  readonly detail: string;
  readonly hint: string | undefined;
  readonly hostKey: HostKeyDetail | undefined;

  /** `detail` is the one-line description; the message is prefixed with host and phase. */
  constructor(kind: SshErrorKind, host: string, detail: string, init: SshErrorInit) {
    super(kind, `${host}: ${init.phase}: ${detail}`, 1);
    this.name = 'SshError';
    this.kind = kind;
    this.host = host;
    this.phase = init.phase;
    this.detail = detail;
    this.hint = init.hint;
    this.hostKey = init.hostKey;
    if (init.cause !== undefined) this.cause = init.cause;
  }

  override lines(): string[] {
    return this.hint ? [this.message, `  hint: ${this.hint}`] : [this.message];
  }
}
