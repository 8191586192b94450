// The create-environment flow: base interpreter, what to install, a summary, then create.
// The server decides the commands (the project's manager when it has one, else uv/venv + uv pip
// or pip); envsense.createEnvironment with only a URI gives the same result with defaults.
import * as path from 'node:path';
import type { QuickPickItem, Uri } from 'vscode';
import { ServerCommands } from './constants';
import type { BaseChoice, CommandOutcome, CreateArgs, CreateOptions } from './protocol';
import { environmentLabel } from './status';
import { QuickPickItemKind, executeCommand, showModal, showQuickPick, showWarningMessage } from './vscodeapi';

export interface CreateService {
  createOptions(uri: Uri): Promise<CreateOptions>;
}

export interface BaseItem extends QuickPickItem {
  base?: BaseChoice;
}

/** Interpreters satisfying requires-python first (the server sorts each group newest first). */
export function baseItems(options: CreateOptions): BaseItem[] {
  const items: BaseItem[] = [];
  const fitting = options.bases.filter((b) => b.fits);
  const others = options.bases.filter((b) => !b.fits);
  const spec = options.requiresPython ? `requires-python ${options.requiresPython}` : 'any Python';
  if (fitting.length) {
    items.push({ label: `Satisfies ${spec}`, kind: QuickPickItemKind.Separator });
    items.push(...fitting.map((base, i) => ({
      label: `$(${i === 0 ? 'star-full' : 'circle-outline'}) ${environmentLabel(base)}`,
      description: i === 0 ? 'newest' : '',
      detail: base.executable ?? base.prefix,
      base,
    })));
  }
  if (others.length) {
    items.push({ label: `Does not satisfy ${spec}`, kind: QuickPickItemKind.Separator });
    items.push(...others.map((base) => ({ label: `$(warning) ${environmentLabel(base)}`, detail: base.executable ?? base.prefix, base })));
  }
  return items;
}

export type ContentChoice =
  | { what: 'nothing' }
  | { what: 'project'; extras: string[]; groups: string[] }
  | { what: 'requirements'; file: string };

export interface ContentItem extends QuickPickItem {
  choice?: ContentChoice;
  /** Pick extras and groups next. */
  pickExtras?: boolean;
}

/** Nothing / the project (+ all extras and groups, or a choice of them) / each requirements file. */
export function contentItems(options: CreateOptions): ContentItem[] {
  const via = options.manager && options.managerFound ? ` with ${options.manager}` : '';
  const items: ContentItem[] = [];
  if (options.installable) {
    items.push({ label: `$(package) The project${via}`, description: 'its dependencies', choice: { what: 'project', extras: [], groups: [] } });
    if (options.extras.length || options.groups.length) {
      const all = [...options.extras.map((e) => `[${e}]`), ...options.groups.map((g) => `group ${g}`)].join(', ');
      items.push({
        label: `$(package) The project + extras and groups${via}...`,
        description: all,
        pickExtras: true,
      });
    }
  }
  for (const file of options.requirementFiles) {
    const name = path.relative(options.project, file) || path.basename(file);
    items.push({ label: `$(file) ${name}`, description: 'requirements file', choice: { what: 'requirements', file } });
  }
  items.push({ label: '$(circle-slash) Nothing', description: 'an empty environment', choice: { what: 'nothing' } });
  return items;
}

export interface ExtraItem extends QuickPickItem {
  extra?: string;
  group?: string;
}

export function extraItems(options: CreateOptions): ExtraItem[] {
  return [
    ...options.extras.map((extra) => ({ label: `[${extra}]`, description: 'extra', picked: true, extra })),
    ...options.groups.map((group) => ({ label: group, description: 'dependency group', picked: false, group })),
  ];
}

/** The createEnvironment arguments for the user's choices. */
export function createArgs(uri: Uri, base: BaseChoice | undefined, choice: ContentChoice): CreateArgs {
  const args: CreateArgs = { uri: uri.toString(), install: choice.what };
  if (base?.executable) {
    args.python = base.executable;
  }
  if (choice.what === 'project') {
    args.extras = choice.extras;
    args.groups = choice.groups;
  } else if (choice.what === 'requirements') {
    args.requirementFiles = [choice.file];
  }
  return args;
}

/** Run the flow for `uri`'s project; resolves to the server's outcome, or undefined when cancelled. */
export async function runCreateFlow(service: CreateService, uri: Uri): Promise<CommandOutcome | undefined> {
  const options = await service.createOptions(uri);
  if (!options.bases.length) {
    void showWarningMessage('envsense found no base Python interpreter to create an environment with.');
    return undefined;
  }
  const base = await showQuickPick(baseItems(options), {
    title: 'Create environment (1/2): base interpreter',
    placeHolder: options.requiresPython ? `The project requires Python ${options.requiresPython}` : 'Python to create the environment with',
  });
  if (!base?.base) {
    return undefined;
  }
  const content = await showQuickPick(contentItems(options), { title: 'Create environment (2/2): what to install' });
  if (!content) {
    return undefined;
  }
  let choice = content.choice;
  if (content.pickExtras) {
    const picked = await showQuickPick(extraItems(options), { title: 'Extras and dependency groups to install', canPickMany: true });
    if (!picked) {
      return undefined;
    }
    choice = {
      what: 'project',
      extras: picked.filter((p) => p.extra).map((p) => p.extra as string),
      groups: picked.filter((p) => p.group).map((p) => p.group as string),
    };
  }
  if (!choice) {
    return undefined;
  }
  const args = createArgs(uri, base.base, choice);
  const plan = await executeCommand<CommandOutcome>(ServerCommands.createEnvironment, { ...args, dryRun: true });
  if (!plan?.ok) {
    void showWarningMessage(`envsense: ${plan?.message ?? 'the environment cannot be created'}`);
    return undefined;
  }
  const answer = await showModal(plan.message, (plan.summary ?? []).join('\n'), 'Create');
  if (answer !== 'Create') {
    return undefined;
  }
  return executeCommand<CommandOutcome>(ServerCommands.createEnvironment, args);
}
