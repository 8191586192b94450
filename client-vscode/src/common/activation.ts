// Terminal activation: new terminals of a workspace folder get its selected environment through
import type { Uri } from 'vscode';
// the extension's environmentVariableCollection, scoped to that folder. The variables come from
// the server (`activation` of the envsense/environments answer), so every editor gets the same.
import type { Activation, Env } from './protocol';

/** One change to a terminal's environment, as environmentVariableCollection applies it. */
export type Mutation = { op: 'prepend' | 'replace'; name: string; value: string };

/**
 * `PATH` gets the environment's folders in front; `VIRTUAL_ENV` (or `CONDA_PREFIX`) is set;
 * `PYTHONHOME` and the other kind's variable are emptied (Python ignores an empty `PYTHONHOME`).
 */
export function activationMutations(activation: Activation, delimiter: string): Mutation[] {
  const mutations: Mutation[] = [];
  if (activation.pathPrepend.length) {
    mutations.push({ op: 'prepend', name: 'PATH', value: activation.pathPrepend.join(delimiter) + delimiter });
  }
  for (const [name, value] of Object.entries(activation.set)) {
    mutations.push({ op: 'replace', name, value });
  }
  for (const name of activation.unset) {
    mutations.push({ op: 'replace', name, value: '' });
  }
  return mutations;
}

/** The part of vscode.EnvironmentVariableCollection used here (a fake in tests). */
export interface VariableCollection {
  description?: unknown;
  replace(variable: string, value: string, options?: MutatorOptions): void;
  prepend(variable: string, value: string, options?: MutatorOptions): void;
  clear(): void;
}

export interface MutatorOptions {
  applyAtProcessCreation?: boolean;
  applyAtShellIntegration?: boolean;
}

/**
 * At process creation, and again once shell integration reports the shell ready: a `~/.bashrc`
 * that runs `pyenv init` (shims first on PATH) would otherwise win over the environment.
 */
export const APPLY: MutatorOptions = { applyAtProcessCreation: true, applyAtShellIntegration: true };

export interface ActivationOptions {
  enabled: boolean;
  deactivated: boolean;
}

/** Apply `env`'s activation to `collection`, or clear it; returns what the terminal tooltip says. */
export function applyActivation(
  collection: VariableCollection,
  env: Env | null,
  options: ActivationOptions,
  delimiter: string,
): string | undefined {
  collection.clear();
  if (!options.enabled || options.deactivated || !env?.activation) {
    return undefined;
  }
  for (const m of activationMutations(env.activation, delimiter)) {
    if (m.op === 'prepend') {
      collection.prepend(m.name, m.value, APPLY);
    } else {
      collection.replace(m.name, m.value, APPLY);
    }
  }
  const name = env.title ?? env.name;
  collection.description = `envsense: activates ${name}`;
  return name;
}

/** Where the collections and the per-folder "None (deactivate)" choice live (the extension context). */
export interface ActivationHost {
  collectionFor(folder: Uri | undefined): VariableCollection;
  folders(): Uri[];
  isDeactivated(folder: Uri): boolean;
  setDeactivated(folder: Uri, value: boolean): Thenable<void>;
  enabled(folder: Uri): boolean;
  delimiter: string;
}

/** Keeps each workspace folder's terminal variables in step with its selected environment. */
export class TerminalActivation {
  constructor(private readonly host: ActivationHost) {}

  /** `folder`'s environment is now `env`: new terminals there get it. */
  apply(folder: Uri, env: Env | null): string | undefined {
    const folders = this.host.folders();
    // One folder: the window-wide collection (terminals opened anywhere in it); several: per folder.
    const scope = folders.length > 1 ? folder : undefined;
    const options = { enabled: this.host.enabled(folder), deactivated: this.host.isDeactivated(folder) };
    return applyActivation(this.host.collectionFor(scope), env, options, this.host.delimiter);
  }

  async deactivate(folder: Uri): Promise<void> {
    await this.host.setDeactivated(folder, true);
    this.apply(folder, null);
  }

  async reactivate(folder: Uri): Promise<void> {
    await this.host.setDeactivated(folder, false);
  }
}
