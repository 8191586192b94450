// The environment QuickPick: the current pick first, one group per kind, then the ways to add one.
// "Recommended" marks what envsense's rules pick; "current" marks what the project uses now.
import type { QuickPickItem, Uri } from 'vscode';
import type { Env, EnvironmentsResult, SelectResult } from './protocol';
import { KIND_ORDER, environmentLabel, kindLabel } from './status';
import { QuickPickItemKind, createQuickPick, showErrorMessage, showInputBox, showOpenDialog } from './vscodeapi';

export type PickAction = 'create' | 'enterPath' | 'browse' | 'deactivate';

export interface PickItem extends QuickPickItem {
  env?: Env;
  action?: PickAction;
}

/** What the picker needs from the running server and the client around it. */
export interface EnvironmentService {
  environments(uri: Uri): Promise<EnvironmentsResult>;
  select(uri: Uri, executable: string): Promise<SelectResult>;
  /** The create-environment flow (src/common/create.ts). */
  create?(uri: Uri): Promise<unknown>;
  /** "None (deactivate)": new terminals of the folder get no environment. */
  deactivate?(uri: Uri): Promise<void>;
}

function compareVersionsDesc(a: string | null, b: string | null): number {
  const parts = (v: string | null) => (v ?? '').split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (diff !== 0) {
      return diff;
    }
  }
  return 0;
}

export function sameEnv(a: Env | null | undefined, b: Env | null | undefined): boolean {
  return !!a && !!b && (a.executable ?? a.prefix) === (b.executable ?? b.prefix);
}

function envItem(env: Env, current: boolean, recommended: boolean): PickItem {
  const icon = env.error ? '$(warning)' : current ? '$(check)' : recommended ? '$(star-full)' : '$(circle-outline)';
  const marks = [current ? 'current' : '', recommended ? 'Recommended' : ''].filter(Boolean).join(', ');
  const description = env.error ? `broken: ${env.error}` : marks;
  return { label: `${icon} ${environmentLabel(env)}`, description, detail: env.executable ?? env.prefix, env };
}

function separator(label: string): PickItem {
  return { label, kind: QuickPickItemKind.Separator };
}

/** Items in display order. Broken environments stay listed (with their error) so the user sees why. */
export function buildPickItems(result: EnvironmentsResult): PickItem[] {
  const items: PickItem[] = [];
  const selected = result.selected;
  const recommended = result.recommended ?? null;
  const top = [selected, sameEnv(recommended, selected) ? null : recommended].filter((e): e is Env => !!e);
  if (top.length) {
    items.push(separator('Current and recommended'));
    items.push(...top.map((env) => envItem(env, sameEnv(env, selected), sameEnv(env, recommended))));
  }
  const rest = result.environments.filter((env) => !top.some((t) => sameEnv(env, t)));
  const kinds = [...new Set(rest.map((env) => env.kind))].sort((a, b) => {
    const [ia, ib] = [KIND_ORDER.indexOf(a), KIND_ORDER.indexOf(b)];
    return (ia < 0 ? KIND_ORDER.length : ia) - (ib < 0 ? KIND_ORDER.length : ib) || a.localeCompare(b);
  });
  for (const kind of kinds) {
    const group = rest
      .filter((env) => env.kind === kind)
      .sort((a, b) => compareVersionsDesc(a.version, b.version) || a.name.localeCompare(b.name));
    items.push(separator(kindLabel(kind)), ...group.map((env) => envItem(env, false, false)));
  }
  items.push(
    separator('Other'),
    { label: '$(add) Create environment...', action: 'create' },
    { label: '$(edit) Enter interpreter path...', action: 'enterPath' },
    { label: '$(folder-opened) Browse...', action: 'browse' },
    { label: '$(circle-slash) None (deactivate)', description: 'new terminals of this folder get no environment', action: 'deactivate' },
  );
  return items;
}

async function askInterpreterPath(action: PickAction): Promise<string | undefined> {
  if (action === 'enterPath') {
    const value = await showInputBox({ prompt: 'Path to a Python interpreter', placeHolder: '/path/to/.venv/bin/python' });
    return value?.trim() || undefined;
  }
  const picked = await showOpenDialog({ canSelectMany: false, openLabel: 'Select interpreter', title: 'Python interpreter' });
  return picked?.[0]?.fsPath;
}

/** Select `executable`; a refused interpreter is an error message and nothing selected. */
export async function selectChecked(service: EnvironmentService, uri: Uri, executable: string): Promise<SelectResult | undefined> {
  const result = await service.select(uri, executable);
  if (result.error) {
    void showErrorMessage(result.error);
    return undefined;
  }
  return result;
}

/** Show the picker for `uri`'s project; resolves to the server's answer, or undefined when cancelled. */
export async function pickEnvironment(service: EnvironmentService, uri: Uri): Promise<SelectResult | undefined> {
  const quickPick = createQuickPick<PickItem>();
  quickPick.title = 'Select Python environment';
  quickPick.placeholder = 'Environment for this project';
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  quickPick.busy = true;
  quickPick.show();
  const choice = new Promise<PickItem | undefined>((resolve) => {
    quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
    quickPick.onDidHide(() => resolve(undefined));
  });
  try {
    quickPick.items = buildPickItems(await service.environments(uri));
  } catch (error) {
    quickPick.items = buildPickItems({ environments: [], selected: null, reason: null });
    quickPick.placeholder = `Could not list environments: ${String(error)}`;
  }
  quickPick.busy = false;
  const item = await choice;
  quickPick.dispose();
  if (!item) {
    return undefined;
  }
  if (item.env?.executable) {
    return selectChecked(service, uri, item.env.executable);
  }
  if (item.action === 'create') {
    await service.create?.(uri);
    return undefined;
  }
  if (item.action === 'deactivate') {
    await service.deactivate?.(uri);
    return undefined;
  }
  if (item.action) {
    const executable = await askInterpreterPath(item.action);
    return executable ? selectChecked(service, uri, executable) : undefined;
  }
  return undefined;
}
