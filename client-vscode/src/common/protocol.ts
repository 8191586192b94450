// The envsense/* custom protocol, as the server defines it (see docs/vscode.md).

export type EnvKind =
  | 'venv' | 'virtualenv' | 'uv' | 'uv-workspace' | 'uv-python' | 'poetry' | 'pipenv' | 'pdm' | 'hatch'
  | 'virtualenvwrapper' | 'conda' | 'pixi' | 'pyenv' | 'pyenv-virtualenv' | 'homebrew' | 'system'
  | 'windows-registry' | 'windows-store';

/** What a terminal needs to have the environment activated (server-computed). */
export interface Activation {
  pathPrepend: string[];
  set: Record<string, string>;
  unset: string[];
}

export interface Env {
  kind: EnvKind | string;
  name: string;
  prefix: string;
  executable: string | null;
  version: string | null;
  project: string | null;
  error: string | null;
  /** `.venv (3.12.1, venv)`, `pyenv 3.13.0 (global)`: the server's one name for it. */
  title?: string;
  activation?: Activation | null;
}

export interface EnvironmentsResult {
  environments: Env[];
  selected: Env | null;
  reason: string | null;
  project?: string;
  /** What envsense's rules pick (the user's own pick aside). */
  recommended?: Env | null;
  /** The project has no environment of its own: a base interpreter stands in. */
  fallback?: boolean;
}

export interface SelectResult {
  selected: Env | null;
  reason: string | null;
  /** Set when the interpreter was refused: nothing was selected. */
  error?: string | null;
}

export interface Declaration {
  manifest: string;
  line: number;
  text: string;
  group: string;
}

export interface PackageInfo {
  name: string;
  canonical: string;
  version: string;
  editable: boolean;
  location: string;
  declared: Declaration[];
  mismatch: string | null;
  upgradeRequirement: string;
}

export interface PackagesResult {
  environment: Env | null;
  packages: PackageInfo[];
  error: string | null;
}

export interface BaseChoice extends Env {
  fits: boolean;
}

export interface CreateOptions {
  project: string;
  requiresPython: string | null;
  bases: BaseChoice[];
  extras: string[];
  groups: string[];
  requirementFiles: string[];
  installable: boolean;
  manager: string | null;
  managerFound: boolean;
  venvExists: boolean;
}

export interface CreateArgs {
  uri: string;
  python?: string;
  install?: 'nothing' | 'project' | 'requirements';
  extras?: string[];
  groups?: string[];
  requirementFiles?: string[];
  dryRun?: boolean;
}

export interface CommandOutcome {
  ok: boolean;
  message: string;
  cancelled?: boolean;
  summary?: string[];
}

export interface EnvironmentChanged {
  uri: string;
  environment: Env | null;
  reason?: string | null;
}

export type ServerState = 'starting' | 'discovering' | 'ready' | 'installing' | 'error';

export interface ServerStatus {
  state: ServerState;
  message?: string;
}

export const Methods = {
  environments: 'envsense/environments',
  selectEnvironment: 'envsense/selectEnvironment',
  environmentChanged: 'envsense/environmentChanged',
  status: 'envsense/status',
  packages: 'envsense/packages',
  validatePackageName: 'envsense/validatePackageName',
  createOptions: 'envsense/createOptions',
} as const;
