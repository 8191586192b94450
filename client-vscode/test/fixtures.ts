import type { Env } from '../src/common/protocol';

/** An environment record as the server sends it. */
export function env(kind: string, name: string, version: string | null, extra: Partial<Env> = {}): Env {
  const prefix = `/home/u/proj/${name}`;
  return { kind, name, prefix, executable: `${prefix}/bin/python`, version, project: '/home/u/proj', error: null, ...extra };
}
