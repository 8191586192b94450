// The envsense/* custom protocol, as the server defines it (see docs/vscode.md).

export type EnvKind =
  | 'venv' | 'virtualenv' | 'uv' | 'uv-workspace' | 'uv-python' | 'poetry' | 'pipenv' | 'pdm' | 'hatch'
  | 'virtualenvwrapper' | 'conda' | 'pixi' | 'pyenv' | 'pyenv-virtualenv' | 'homebrew' | 'system'
  | 'windows-registry' | 'windows-store';

export interface Env {
  kind: EnvKind | string;
  name: string;
  prefix: string;
  executable: string | null;
  version: string | null;
  project: string | null;
  error: string | null;
}

export interface EnvironmentsResult {
  environments: Env[];
  selected: Env | null;
  reason: string | null;
}

export interface SelectResult {
  selected: Env | null;
  reason: string | null;
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
} as const;
