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
  reset(): void {
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
  showErrorMessage: async () => undefined,
  showWarningMessage: async () => undefined,
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
    return undefined;
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
