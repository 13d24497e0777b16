// Merging what several roles ask of one host. Sets are unions; a value two roles set
// differently (sysctl, route, handler, file path) is a RenderError naming both roles.
import { RenderError } from '../errors.js';
import type {
  DesiredAddress,
  DesiredDaemon,
  DesiredFile,
  DesiredLink,
  DesiredRoute,
  DesiredRule,
  Handler,
  IpvsService,
  SyncDaemon,
} from '../model/types.js';
import type { DesiredView } from './template-data.js';

export class Merger {
  readonly packages = new Set<string>();
  readonly modules = new Set<string>();
  readonly sysctls = new Map<string, { value: string; role: string }>();
  readonly links = new Map<string, DesiredLink>();
  readonly addresses = new Map<string, DesiredAddress>();
  readonly floating = new Map<string, DesiredAddress>();
  readonly routes = new Map<string, { route: DesiredRoute; role: string }>();
  readonly rules = new Map<string, DesiredRule>();
  readonly handlers = new Map<string, { handler: Handler; role: string }>();
  readonly daemons = new Map<string, DesiredDaemon>();
  readonly sync = new Map<string, SyncDaemon>();
  readonly files = new Map<string, { file: DesiredFile; role: string }>();
  ipvs: IpvsService[] = [];
  ipvsStatic = false;

  sysctl(key: string, value: string, role: string, where: string): void {
    const had = this.sysctls.get(key);
    if (had && had.value !== value) {
      throw new RenderError(`${where}: sysctl ${key} is ${value} here but ${had.value} in role ${had.role}`);
    }
    this.sysctls.set(key, { value, role });
  }

  route(r: DesiredRoute, role: string, where: string): void {
    const key = `${r.dst} table ${r.table ?? 'main'}`;
    const had = this.routes.get(key);
    if (had && JSON.stringify(had.route) !== JSON.stringify(r)) {
      throw new RenderError(`${where}: route ${key} differs from the one role ${had.role} sets`);
    }
    this.routes.set(key, { route: r, role });
  }

  handler(h: Handler, role: string, where: string): void {
    const had = this.handlers.get(h.name);
    if (had && JSON.stringify(had.handler) !== JSON.stringify(h)) {
      throw new RenderError(`${where}: handler ${h.name} is defined differently in role ${had.role}`);
    }
    if (!had) this.handlers.set(h.name, { handler: h, role });
  }

  file(f: DesiredFile, role: string, where: string): void {
    const had = this.files.get(f.path);
    if (had) throw new RenderError(`${where}: ${f.path} is also written by role ${had.role}`);
    this.files.set(f.path, { file: f, role });
  }

  view(): DesiredView {
    const byText = (a: string, b: string) => a.localeCompare(b);
    return {
      sysctls: [...this.sysctls.entries()]
        .sort(([a], [b]) => byText(a, b))
        .map(([key, { value }]) => ({ key, value })),
      modules: [...this.modules].sort(byText),
      links: [...this.links.values()].sort((a, b) => byText(a.name, b.name)),
      addresses: [...this.addresses.values()].sort((a, b) =>
        byText(`${a.dev} ${a.cidr}`, `${b.dev} ${b.cidr}`),
      ),
      routes: [...this.routes.values()]
        .map((r) => r.route)
        .sort((a, b) => byText(`${a.table ?? 0} ${a.dst}`, `${b.table ?? 0} ${b.dst}`)),
      rules: [...this.rules.values()].sort((a, b) => a.priority - b.priority),
    };
  }
}
