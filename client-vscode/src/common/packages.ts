// The Packages view: every distribution of the active project's environment (envsense/packages),
// with install / uninstall / upgrade through the server's install queue (progress + rollback).
import * as path from 'node:path';
import type { TreeDataProvider, TreeItem, TreeView, Uri } from 'vscode';
import { ServerCommands } from './constants';
import type { PackageInfo, PackagesResult } from './protocol';
import { environmentLabel } from './status';
import {
  createTreeView,
  executeCommand,
  newEventEmitter,
  showInputBox,
  showModal,
  showWarningMessage,
  themeIcon,
  treeItem,
  type Disposable,
} from './vscodeapi';

export const PACKAGES_VIEW = 'envsense.packages';

/** What the view needs from the session. */
export interface PackagesService {
  currentUri(): Uri | undefined;
  packages(uri: Uri): Promise<PackagesResult>;
  validatePackageName(name: string): Promise<string | null>;
}

export interface PackageView {
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  icon: string;
}

/** `PyYAML  6.0.1 · requirements.txt`, marked when the version breaks the declared specifier. */
export function describePackage(pkg: PackageInfo): PackageView {
  const where = [...new Set(pkg.declared.map((d) => path.basename(d.manifest)))];
  const parts = [pkg.version];
  if (pkg.editable) {
    parts.push('editable');
  }
  parts.push(where.length ? `declared in ${where.join(', ')}` : 'not declared');
  if (pkg.mismatch) {
    parts.push(`mismatch: ${pkg.mismatch}`);
  }
  const tooltip = [
    `${pkg.name} ${pkg.version}${pkg.editable ? ' (editable install)' : ''}`,
    `Location: ${pkg.location}`,
    ...pkg.declared.map((d) => `Declared: ${d.text} (${path.basename(d.manifest)}:${d.line + 1}, ${d.group})`),
    ...(pkg.mismatch ? [`Version mismatch: ${pkg.mismatch}`] : []),
  ].join('\n');
  const icon = pkg.mismatch ? 'warning' : pkg.editable ? 'edit' : where.length ? 'package' : 'circle-small';
  return {
    label: pkg.name,
    description: parts.join(' · '),
    tooltip,
    contextValue: where.length ? 'envsense.package.declared' : 'envsense.package',
    icon,
  };
}

/** The tree's data: one flat list of packages, re-read on refresh(). */
export class PackagesProvider implements TreeDataProvider<PackageInfo> {
  private readonly changed = newEventEmitter<PackageInfo | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view: TreeView<PackageInfo> | undefined;
  last: PackagesResult | undefined;

  constructor(private readonly service: PackagesService) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(pkg: PackageInfo): TreeItem {
    const view = describePackage(pkg);
    const item = treeItem(view.label);
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.contextValue = view.contextValue;
    item.iconPath = themeIcon(view.icon, pkg.mismatch ? 'problemsWarningIcon.foreground' : undefined);
    return item;
  }

  async getChildren(element?: PackageInfo): Promise<PackageInfo[]> {
    if (element) {
      return [];
    }
    const uri = this.service.currentUri();
    if (!uri) {
      this.show(undefined, 'Open a folder to see its environment\'s packages.');
      return [];
    }
    try {
      const result = await this.service.packages(uri);
      this.last = result;
      const title = result.environment ? environmentLabel(result.environment) : undefined;
      this.show(title, result.error ?? undefined);
      return result.packages;
    } catch (error) {
      this.show(undefined, `Could not list packages: ${String(error)}`);
      return [];
    }
  }

  private show(description: string | undefined, message: string | undefined): void {
    if (this.view) {
      this.view.description = description;
      this.view.message = message;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Create the view; returns the provider (to refresh) and what to dispose. */
export function createPackagesView(service: PackagesService): { provider: PackagesProvider; disposables: Disposable[] } {
  const provider = new PackagesProvider(service);
  const view = createTreeView(PACKAGES_VIEW, provider);
  provider.view = view;
  return { provider, disposables: [view, provider] };
}

/** The install box: a name (with an optional version specifier), checked by the server as typed. */
export async function askPackageToInstall(service: PackagesService): Promise<string | undefined> {
  const value = await showInputBox({
    title: 'Install a package into this environment',
    prompt: 'Distribution name, optionally with a version specifier (e.g. PyYAML>=6)',
    placeHolder: 'requests',
    validateInput: async (text) => (text.trim() ? await service.validatePackageName(text.trim()) : null),
  });
  return value?.trim() || undefined;
}

/** The view's commands; each runs a server command and refreshes the list after it. */
export function packageActions(service: PackagesService, provider: PackagesProvider) {
  const target = () => {
    const uri = service.currentUri();
    if (!uri) {
      void showWarningMessage('Open a folder first.');
    }
    return uri;
  };
  const envName = () => (provider.last?.environment ? environmentLabel(provider.last.environment) : 'the environment');
  return {
    async install(): Promise<void> {
      const uri = target();
      const name = uri && (await askPackageToInstall(service));
      if (!uri || !name) {
        return;
      }
      await executeCommand(ServerCommands.installPackages, { uri: uri.toString(), packages: [name] });
      provider.refresh();
    },
    async uninstall(pkg?: PackageInfo): Promise<void> {
      const uri = target();
      if (!uri || !pkg) {
        return;
      }
      const answer = await showModal(`Uninstall ${pkg.name} ${pkg.version} from ${envName()}?`, describePackage(pkg).description, 'Uninstall');
      if (answer !== 'Uninstall') {
        return;
      }
      await executeCommand(ServerCommands.uninstallPackage, { uri: uri.toString(), packages: [pkg.name] });
      provider.refresh();
    },
    async upgrade(pkg?: PackageInfo): Promise<void> {
      const uri = target();
      if (!uri || !pkg) {
        return;
      }
      await executeCommand(ServerCommands.upgradePackage, { uri: uri.toString(), package: pkg.name });
      provider.refresh();
    },
  };
}
