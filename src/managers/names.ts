// The names of the director managers and of the daemons roles may run. A leaf module: the
// inventory and roles schemas build their enums from it without loading the managers
// themselves. managers/index.ts is checked at compile time to hold exactly one module per name.
export const MANAGER_NAMES = ['keepalived', 'ipvsadm', 'ldirectord'] as const;
export type ManagerName = (typeof MANAGER_NAMES)[number];

/** Daemons a role may run: each manager's own, plus the IPVS connection sync daemon. */
export const DAEMON_NAMES = ['keepalived', 'ldirectord', 'ipvs-sync'] as const;
export type DaemonName = (typeof DAEMON_NAMES)[number];
