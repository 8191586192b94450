// A small stand-in for the `vscode` module (which only exists inside the extension host).
// Only what src/common/* touches; tests reach into `fake` to script the UI and read what happened.
import * as path from 'node:path';

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(value: string): Uri {
    const match = /^([a-z-]+):\/\/(.*)$/.exec(value);
    return match ? new Uri(match[1], decodeURIComponent(match[2])) : new Uri('file', value);
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
  get path(): string {
    return this.fsPath.split(path.sep).join('/');
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class MarkdownString {
  isTrusted: unknown;
  constructor(
    readonly value: string,
    readonly supportThemeIcons?: boolean,
  ) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
export class TreeItem {
  description?: string;
  tooltip?: string;
  contextValue?: string;
  iconPath?: unknown;
  constructor(
    readonly label: string,
    readonly collapsibleState?: number,
  ) {}
}
export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];
  event = (listener: (value: T) => void) => {
    this.listeners.push(listener);
    return { dispose() {} };
  };
  fire(value: T): void {
    this.listeners.forEach((l) => l(value));
  }
  dispose(): void {
    this.listeners = [];
  }
}
export enum LanguageStatusSeverity {
  Information = 0,
  Warning = 1,
  Error = 2,
}

type Listener<T> = (value: T) => void;

export class FakeQuickPick<T> {
  items: T[] = [];
  selectedItems: T[] = [];
  title = '';
  placeholder = '';
  busy = false;
  matchOnDescription = false;
  matchOnDetail = false;
  shown = false;
  disposed = false;
  private accept: Listener<void>[] = [];
  private hide: Listener<void>[] = [];
  show(): void {
    this.shown = true;
  }
  onDidAccept(listener: Listener<void>): void {
    this.accept.push(listener);
  }
  onDidHide(listener: Listener<void>): void {
    this.hide.push(listener);
  }
  /** What the user does: pick the first item matching, or press Escape (undefined). */
  choose(match: ((item: T) => boolean) | undefined): void {
    if (!match) {
      this.hide.forEach((l) => l());
      return;
    }
    const item = this.items.find(match);
    if (!item) {
      throw new Error('no such item in the picker');
    }
    this.selectedItems = [item];
    this.accept.forEach((l) => l());
  }
  dispose(): void {
    this.disposed = true;
  }
}

export const fake = {
  config: {} as Record<string, unknown>,
  trusted: true,
  quickPicks: [] as FakeQuickPick<unknown>[],
  inputBoxAnswer: undefined as string | undefined,
  openDialogAnswer: undefined as string[] | undefined,
  executed: [] as { id: string; args: unknown[] }[],
  extensions: {} as Record<string, unknown>,
  errors: [] as string[],
  infos: [] as string[],
  commandResults: [] as unknown[],
  answers: [] as (string | undefined)[],
  quickPickItems: [] as string[][],
  quickPickAnswers: [] as (string | string[] | undefined)[],
  progress: [] as { location: number; title: string; cancellable: boolean; messages: (string | undefined)[]; cancel: () => void; done: boolean }[],
  reset(): void {
    this.errors = [];
    this.infos = [];
    this.commandResults = [];
    this.answers = [];
    this.quickPickItems = [];
    this.quickPickAnswers = [];
    this.progress = [];
    this.config = {};
    this.trusted = true;
    this.quickPicks = [];
    this.inputBoxAnswer = undefined;
    this.openDialogAnswer = undefined;
    this.executed = [];
    this.extensions = {};
  },
};

function item(extra: Record<string, unknown>) {
  return { text: '', tooltip: undefined, shown: false, disposed: false, show() { this.shown = true; }, dispose() { this.disposed = true; }, ...extra };
}

export const window = {
  createStatusBarItem: (id: string, alignment: StatusBarAlignment, priority: number) => item({ id, alignment, priority }),
  createOutputChannel: (name: string) => ({ name, info() {}, warn() {}, error() {}, show() {}, dispose() {} }),
  createQuickPick: () => {
    const pick = new FakeQuickPick();
    fake.quickPicks.push(pick);
    return pick;
  },
  showInputBox: async () => fake.inputBoxAnswer,
  showOpenDialog: async () => fake.openDialogAnswer?.map((p) => Uri.file(p)),
  showErrorMessage: async (message: string) => {
    fake.errors.push(message);
    return undefined;
  },
  showWarningMessage: async () => undefined,
  showInformationMessage: async (message: string, ...rest: unknown[]) => {
    fake.infos.push(message);
    const answer = fake.answers.shift();
    return rest.includes(answer) || answer === undefined ? answer : undefined;
  },
  showQuickPick: async <T extends { label: string }>(items: T[], options: { canPickMany?: boolean }) => {
    fake.quickPickItems.push(items.map((i) => i.label));
    const wanted = fake.quickPickAnswers.shift();
    if (wanted === undefined) {
      return undefined;
    }
    const found = items.filter((i) => (Array.isArray(wanted) ? wanted : [wanted]).some((w) => i.label.includes(w)));
    return options?.canPickMany ? found : found[0];
  },
  withProgress: async (options: { location: number; title: string; cancellable: boolean }, task: (p: unknown, t: unknown) => Promise<unknown>) => {
    const record = { ...options, messages: [] as (string | undefined)[], cancel: () => {}, done: false };
    fake.progress.push(record);
    const token = { onCancellationRequested: (listener: () => void) => void (record.cancel = listener) };
    const result = await task({ report: (v: { message?: string }) => record.messages.push(v.message) }, token);
    record.done = true;
    return result;
  },
  activeTextEditor: undefined as unknown,
  onDidChangeActiveTextEditor: () => ({ dispose() {} }),
};

export const languages = {
  createLanguageStatusItem: (id: string, selector: unknown) => item({ id, selector, detail: '', busy: false }),
};

export const commands = {
  registerCommand: (id: string) => ({ id, dispose() {} }),
  executeCommand: async (id: string, ...args: unknown[]) => {
    fake.executed.push({ id, args });
    return fake.commandResults.shift();
  },
};

export const workspace = {
  getConfiguration: (section: string) => ({
    get: (key: string) => fake.config[`${section}.${key}`],
  }),
  get isTrusted() {
    return fake.trusted;
  },
  workspaceFolders: undefined as unknown,
  onDidChangeConfiguration: () => ({ dispose() {} }),
  onDidGrantWorkspaceTrust: () => ({ dispose() {} }),
};

export const extensions = {
  getExtension: (id: string) => fake.extensions[id],
};
