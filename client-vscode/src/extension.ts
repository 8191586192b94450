// Wiring only: the logic lives in src/common/*.
import type { ExtensionContext } from 'vscode';
import { registerCommands } from './common/commands';
import { EXTENSION_NAME } from './common/constants';
import { PythonExtension } from './common/python';
import { Session } from './common/server';
import { RESTART_SETTINGS } from './common/settings';
import { StatusView } from './common/status';
import {
  createLogOutputChannel,
  onDidChangeActiveTextEditor,
  onDidChangeConfiguration,
  onDidGrantWorkspaceTrust,
} from './common/vscodeapi';

let session: Session | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const log = createLogOutputChannel(EXTENSION_NAME);
  const status = new StatusView();
  const python = await PythonExtension.load();
  session = new Session(context.extensionPath, log, status, python);
  const current = session;
  context.subscriptions.push(
    log,
    status,
    ...registerCommands(current, log),
    onDidChangeActiveTextEditor(() => void current.refresh()),
    onDidChangeConfiguration((e) => {
      // Other envsense.* settings reach the running server through didChangeConfiguration.
      if (RESTART_SETTINGS.some((key) => e.affectsConfiguration(key))) {
        current.restart();
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
