// Every call into the `vscode` module goes through here, so the other modules can be unit-tested
// with a fake `vscode` (test/vscode-mock.ts) and stubs of these functions.
import * as vscode from 'vscode';

export type Disposable = vscode.Disposable;

export function createStatusBarItem(id: string, priority: number): vscode.StatusBarItem {
  return vscode.window.createStatusBarItem(id, vscode.StatusBarAlignment.Left, priority);
}

export function createLanguageStatusItem(id: string, selector: vscode.DocumentSelector): vscode.LanguageStatusItem {
  return vscode.languages.createLanguageStatusItem(id, selector);
}

export function createLogOutputChannel(name: string): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(name, { log: true });
}

export function createQuickPick<T extends vscode.QuickPickItem>(): vscode.QuickPick<T> {
  return vscode.window.createQuickPick<T>();
}

export function showInputBox(options: vscode.InputBoxOptions): Thenable<string | undefined> {
  return vscode.window.showInputBox(options);
}

export function showOpenDialog(options: vscode.OpenDialogOptions): Thenable<vscode.Uri[] | undefined> {
  return vscode.window.showOpenDialog(options);
}

export function showErrorMessage(message: string, ...items: string[]): Thenable<string | undefined> {
  return vscode.window.showErrorMessage(message, ...items);
}

export function showWarningMessage(message: string, ...items: string[]): Thenable<string | undefined> {
  return vscode.window.showWarningMessage(message, ...items);
}

export function activeDocumentUri(): vscode.Uri | undefined {
  return vscode.window.activeTextEditor?.document.uri;
}

export function onDidChangeActiveTextEditor(listener: () => void): Disposable {
  return vscode.window.onDidChangeActiveTextEditor(listener);
}

export function registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
  return vscode.commands.registerCommand(id, handler);
}

export function executeCommand<T>(id: string, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(id, ...args);
}

export function getConfiguration(section: string, scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(section, scope);
}

export function onDidChangeConfiguration(listener: (e: vscode.ConfigurationChangeEvent) => void): Disposable {
  return vscode.workspace.onDidChangeConfiguration(listener);
}

export function workspaceFolderUris(): vscode.Uri[] {
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri);
}

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

export function onDidGrantWorkspaceTrust(listener: () => void): Disposable {
  return vscode.workspace.onDidGrantWorkspaceTrust(listener);
}

export function getExtension<T>(id: string): vscode.Extension<T> | undefined {
  return vscode.extensions.getExtension<T>(id);
}

export function parseUri(value: string): vscode.Uri {
  return vscode.Uri.parse(value);
}

export function fileUri(path: string): vscode.Uri {
  return vscode.Uri.file(path);
}

export function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text, true);
  md.isTrusted = { enabledCommands: ['envsense.pickEnvironment', 'envsense.showLog'] };
  return md;
}

export function themeColor(id: string): vscode.ThemeColor {
  return new vscode.ThemeColor(id);
}

export const QuickPickItemKind = {
  get Separator(): vscode.QuickPickItemKind {
    return vscode.QuickPickItemKind.Separator;
  },
};

export const LanguageStatusSeverity = {
  get Information(): vscode.LanguageStatusSeverity {
    return vscode.LanguageStatusSeverity.Information;
  },
  get Warning(): vscode.LanguageStatusSeverity {
    return vscode.LanguageStatusSeverity.Warning;
  },
  get Error(): vscode.LanguageStatusSeverity {
    return vscode.LanguageStatusSeverity.Error;
  },
};

export function showInformationMessage(message: string, ...items: string[]): Thenable<string | undefined> {
  return vscode.window.showInformationMessage(message, ...items);
}

/** A modal question with a longer `detail`; resolves to the chosen item or undefined. */
export function showModal(message: string, detail: string, ...items: string[]): Thenable<string | undefined> {
  return vscode.window.showInformationMessage(message, { modal: true, detail }, ...items);
}

export function workspaceFolderOf(uri: vscode.Uri): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.getWorkspaceFolder(uri);
}

export type ProgressWhere = 'notification' | 'window';

/** window.withProgress; `notification` progress gets a Cancel button when `cancellable`. */
export function withProgress<R>(
  where: ProgressWhere,
  title: string,
  cancellable: boolean,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
): Thenable<R> {
  const location = where === 'notification' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window;
  return vscode.window.withProgress({ location, title, cancellable }, task);
}

export function createTreeView<T>(id: string, provider: vscode.TreeDataProvider<T>): vscode.TreeView<T> {
  return vscode.window.createTreeView(id, { treeDataProvider: provider, showCollapseAll: false });
}

export function newEventEmitter<T>(): vscode.EventEmitter<T> {
  return new vscode.EventEmitter<T>();
}

export function treeItem(label: string): vscode.TreeItem {
  return new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
}

export function themeIcon(id: string, color?: string): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export function showQuickPick<T extends vscode.QuickPickItem>(
  items: T[],
  options: vscode.QuickPickOptions & { canPickMany: true },
): Thenable<T[] | undefined>;
export function showQuickPick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Thenable<T | undefined>;
export function showQuickPick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Thenable<T | T[] | undefined> {
  return vscode.window.showQuickPick(items, options);
}

/** A tree item with children, shown expanded. */
export function treeGroupItem(label: string): vscode.TreeItem {
  return new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
}
