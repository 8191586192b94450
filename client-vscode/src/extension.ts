// Wiring only: the logic lives in src/common/*.
import type { ExtensionContext } from 'vscode';
import * as path from 'node:path';
import { TerminalActivation } from './common/activation';
import { registerCommands } from './common/commands';
import { EXTENSION_NAME, StateKeys } from './common/constants';
import { createEnvironmentsView } from './common/envtree';
import { createPackagesView } from './common/packages';
import { PythonExtension } from './common/python';
import { Session } from './common/server';
import { RESTART_SETTINGS, loadSettings } from './common/settings';
import { StatusView } from './common/status';
import {
  createLogOutputChannel,
  onDidChangeActiveTextEditor,
  onDidChangeConfiguration,
  onDidGrantWorkspaceTrust,
  workspaceFolderOf,
  workspaceFolderUris,
} from './common/vscodeapi';

let session: Session | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const log = createLogOutputChannel(EXTENSION_NAME);
  const status = new StatusView();
  const python = await PythonExtension.load();
  const state = context.workspaceState;
  const deactivated = () => state.get<string[]>(StateKeys.deactivatedFolders, []);
  const terminals = new TerminalActivation({
    collectionFor: (folder) => {
      const scoped = folder ? workspaceFolderOf(folder) : undefined;
      return scoped ? context.environmentVariableCollection.getScoped({ workspaceFolder: scoped }) : context.environmentVariableCollection;
    },
    folders: workspaceFolderUris,
    isDeactivated: (folder) => deactivated().includes(folder.toString()),
    setDeactivated: (folder, value) => {
      const others = deactivated().filter((f) => f !== folder.toString());
      return state.update(StateKeys.deactivatedFolders, value ? [...others, folder.toString()] : others);
    },
    enabled: (folder) => loadSettings(folder).activateTerminals,
    delimiter: path.delimiter,
  });
  session = new Session(context.extensionPath, log, status, python, terminals, state);
  const current = session;
  const packagesView = createPackagesView(current);
  const environmentsView = createEnvironmentsView(current);
  current.changeListeners.push(() => packagesView.provider.refresh(), () => environmentsView.provider.refresh());
  context.subscriptions.push(
    log,
    status,
    ...packagesView.disposables,
    ...environmentsView.disposables,
    ...registerCommands(current, log, packagesView.provider, environmentsView.provider),
    onDidChangeActiveTextEditor(() => void current.refresh()),
    onDidChangeConfiguration((e) => {
      // Other envsense.* settings reach the running server through didChangeConfiguration.
      if (RESTART_SETTINGS.some((key) => e.affectsConfiguration(key))) {
        current.restart();
      }
      if (e.affectsConfiguration('envsense.terminal.activateEnvironment')) {
        void current.updateTerminals();
      }
    }),
    // Trust changes what the server may run (installs, the workspace's interpreter setting).
    onDidGrantWorkspaceTrust(() => current.restart()),
  );
  if (python) {
    context.subscriptions.push(python.onDidChange((path, resource) => void current.followPythonExtension(path, resource)));
  }
  log.info(`envsense client ${context.extension.packageJSON.version} activating`);
  await current.start();
}

export async function deactivate(): Promise<void> {
  await session?.dispose();
  session = undefined;
}
