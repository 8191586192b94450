// The environment QuickPick: recommended first, one group per kind, then the ways to add one.
import type { QuickPickItem, Uri } from 'vscode';
import { ServerCommands } from './constants';
import type { Env, EnvironmentsResult, SelectResult } from './protocol';
import { KIND_ORDER, kindLabel } from './status';
import { QuickPickItemKind, createQuickPick, executeCommand, showInputBox, showOpenDialog } from './vscodeapi';

export type PickAction = 'create' | 'enterPath' | 'browse';

export interface PickItem extends QuickPickItem {
  env?: Env;
  action?: PickAction;
}

/** What the picker needs from the running server. */
export interface EnvironmentService {
  environments(uri: Uri): Promise<EnvironmentsResult>;
  select(uri: Uri, executable: string): Promise<SelectResult>;
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

function sameEnv(a: Env, b: Env): boolean {
  return (a.executable ?? a.prefix) === (b.executable ?? b.prefix);
}

function envItem(env: Env, recommended: boolean): PickItem {
  const version = env.version ? `Python ${env.version}` : 'Python (unknown version)';
  const icon = env.error ? '$(warning)' : recommended ? '$(star-full)' : '$(circle-outline)';
  return {
    label: `${icon} ${version}`,
    description: env.error ? `${env.name} (${kindLabel(env.kind)}): ${env.error}` : `${env.name} (${kindLabel(env.kind)})`,
    detail: env.executable ?? env.prefix,
    env,
  };
}

function separator(label: string): PickItem {
  return { label, kind: QuickPickItemKind.Separator };
}

/** Items in display order. Broken environments stay listed (with their error) so the user sees why. */
export function buildPickItems(result: EnvironmentsResult): PickItem[] {
  const items: PickItem[] = [];
  const selected = result.selected;
  if (selected) {
    items.push(separator('Recommended'), envItem(selected, true));
  }
  const rest = result.environments.filter((env) => !selected || !sameEnv(env, selected));
  const kinds = [...new Set(rest.map((env) => env.kind))].sort((a, b) => {
    const [ia, ib] = [KIND_ORDER.indexOf(a), KIND_ORDER.indexOf(b)];
    return (ia < 0 ? KIND_ORDER.length : ia) - (ib < 0 ? KIND_ORDER.length : ib) || a.localeCompare(b);
  });
  for (const kind of kinds) {
    const group = rest
      .filter((env) => env.kind === kind)
      .sort((a, b) => compareVersionsDesc(a.version, b.version) || a.name.localeCompare(b.name));
    items.push(separator(kindLabel(kind)), ...group.map((env) => envItem(env, false)));
  }
  items.push(
    separator('Other'),
    { label: '$(add) Create environment...', action: 'create' },
    { label: '$(edit) Enter interpreter path...', action: 'enterPath' },
    { label: '$(folder-opened) Browse...', action: 'browse' },
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
    return service.select(uri, item.env.executable);
  }
  if (item.action === 'create') {
    await executeCommand(ServerCommands.createEnvironment, { uri: uri.toString() });
    return undefined;
  }
  if (item.action) {
    const executable = await askInterpreterPath(item.action);
    return executable ? service.select(uri, executable) : undefined;
  }
  return undefined;
}
