// The Python Environments view: every environment envsense found, one group per kind, the
// project's current one and the recommended one marked; selecting one is a click.
import type { TreeDataProvider, TreeItem, TreeView, Uri } from 'vscode';
import { Commands } from './constants';
import type { Env, EnvironmentsResult } from './protocol';
import { sameEnv } from './picker';
import { KIND_ORDER, environmentLabel, kindLabel } from './status';
import { createTreeView, newEventEmitter, themeIcon, treeGroupItem, treeItem, type Disposable } from './vscodeapi';

export const ENVIRONMENTS_VIEW = 'envsense.environments';

export type EnvNode = { kind: string; envs: Env[] } | { env: Env; current: boolean; recommended: boolean };

export interface EnvironmentsSource {
  currentUri(): Uri | undefined;
  environments(uri: Uri): Promise<EnvironmentsResult>;
}

/** Groups in the picker's order (project kinds first), each newest first as the server sorts. */
export function groupEnvironments(result: EnvironmentsResult): EnvNode[] {
  const kinds = [...new Set(result.environments.map((env) => env.kind))].sort((a, b) => {
    const [ia, ib] = [KIND_ORDER.indexOf(a), KIND_ORDER.indexOf(b)];
    return (ia < 0 ? KIND_ORDER.length : ia) - (ib < 0 ? KIND_ORDER.length : ib) || a.localeCompare(b);
  });
  return kinds.map((kind) => ({ kind, envs: result.environments.filter((env) => env.kind === kind) }));
}

/** What one row shows: the environment's name, "current"/"Recommended", its error if broken. */
export function describeEnvNode(node: EnvNode): { label: string; description: string; icon: string; contextValue: string } {
  if ('kind' in node) {
    return { label: kindLabel(node.kind), description: `${node.envs.length}`, icon: 'folder-library', contextValue: 'envsense.envGroup' };
  }
  const marks = [node.current ? 'current' : '', node.recommended ? 'Recommended' : ''].filter(Boolean).join(', ');
  const env = node.env;
  return {
    label: environmentLabel(env),
    description: env.error ? `broken: ${env.error}` : marks,
    icon: env.error ? 'warning' : node.current ? 'check' : node.recommended ? 'star-full' : 'circle-outline',
    contextValue: env.error || !env.executable ? 'envsense.envBroken' : 'envsense.env',
  };
}

export class EnvironmentsProvider implements TreeDataProvider<EnvNode> {
  private readonly changed = newEventEmitter<EnvNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view: TreeView<EnvNode> | undefined;
  last: EnvironmentsResult | undefined;

  constructor(private readonly source: EnvironmentsSource) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: EnvNode): TreeItem {
    const view = describeEnvNode(node);
    const item = 'kind' in node ? treeGroupItem(view.label) : treeItem(view.label);
    item.description = view.description;
    item.contextValue = view.contextValue;
    item.iconPath = themeIcon(view.icon);
    if (!('kind' in node)) {
      item.tooltip = node.env.executable ?? node.env.prefix;
      if (node.env.executable && !node.env.error) {
        item.command = { title: 'Select', command: Commands.environmentsSelect, arguments: [node] };
      }
    }
    return item;
  }

  async getChildren(node?: EnvNode): Promise<EnvNode[]> {
    if (node) {
      if (!('kind' in node)) {
        return [];
      }
      const result = this.last;
      return node.envs.map((env) => ({ env, current: sameEnv(env, result?.selected), recommended: sameEnv(env, result?.recommended) }));
    }
    const uri = this.source.currentUri();
    if (!uri) {
      return [];
    }
    try {
      this.last = await this.source.environments(uri);
      if (this.view) {
        this.view.description = this.last.selected ? environmentLabel(this.last.selected) : undefined;
      }
      return groupEnvironments(this.last);
    } catch (error) {
      if (this.view) {
        this.view.message = `Could not list environments: ${String(error)}`;
      }
      return [];
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function createEnvironmentsView(source: EnvironmentsSource): { provider: EnvironmentsProvider; disposables: Disposable[] } {
  const provider = new EnvironmentsProvider(source);
  const view = createTreeView(ENVIRONMENTS_VIEW, provider);
  provider.view = view;
  return { provider, disposables: [view, provider] };
}
