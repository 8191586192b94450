import * as assert from 'node:assert/strict';
import { PackagesProvider, describePackage, packageActions, type PackagesService } from '../src/common/packages';
import type { PackageInfo } from '../src/common/protocol';
import { env } from './fixtures';
import { Uri, fake } from './vscode-mock';

function pkg(extra: Partial<PackageInfo> = {}): PackageInfo {
  return {
    name: 'PyYAML', canonical: 'pyyaml', version: '6.0.1', editable: false, location: '/p/.venv/lib/python3.12/site-packages',
    declared: [], mismatch: null, upgradeRequirement: 'PyYAML', ...extra,
  };
}

describe('packages view', () => {
  beforeEach(() => fake.reset());

  it('shows version, declared where, and marks a version mismatch', () => {
    const declared = describePackage(pkg({ declared: [{ manifest: '/p/requirements.txt', line: 2, text: 'PyYAML>=7', group: 'main' }], mismatch: '6.0.1 does not satisfy >=7 (requirements.txt)' }));
    assert.equal(declared.label, 'PyYAML');
    assert.equal(declared.description, '6.0.1 · declared in requirements.txt · mismatch: 6.0.1 does not satisfy >=7 (requirements.txt)');
    assert.equal(declared.icon, 'warning');
    assert.match(declared.tooltip, /requirements\.txt:3/);
    const editable = describePackage(pkg({ name: 'proj', editable: true }));
    assert.equal(editable.description, '6.0.1 · editable · not declared');
    assert.equal(editable.contextValue, 'envsense.package');
  });

  const service: PackagesService = {
    currentUri: () => Uri.file('/p') as never,
    packages: async () => ({ environment: env('venv', '.venv', '3.12.1'), packages: [pkg()], error: null }),
    validatePackageName: async (name) => (name.includes(' ') ? `'${name}' is not a valid requirement` : null),
  };

  it('lists the environment\'s packages and names the environment', async () => {
    const provider = new PackagesProvider(service);
    const view = { description: undefined as string | undefined, message: undefined as string | undefined };
    provider.view = view as never;
    const children = await provider.getChildren();
    assert.deepEqual(children.map((p) => p.name), ['PyYAML']);
    assert.equal(view.description, '.venv (3.12.1, venv)');
    assert.equal((provider.getTreeItem(children[0]) as unknown as { description: string }).description, '6.0.1 · not declared');
  });

  it('uninstalls after confirmation and installs a typed name through the server commands', async () => {
    const provider = new PackagesProvider(service);
    const actions = packageActions(service, provider);
    fake.answers = [undefined];
    await actions.uninstall(pkg());
    assert.equal(fake.executed.length, 0, 'dismissed: nothing runs');
    fake.answers = ['Uninstall'];
    await actions.uninstall(pkg());
    fake.inputBoxAnswer = ' requests ';
    await actions.install();
    await actions.upgrade(pkg());
    assert.deepEqual(fake.executed.map((e) => [e.id, e.args[0]]), [
      ['envsense.uninstallPackage', { uri: 'file:///p', packages: ['PyYAML'] }],
      ['envsense.installPackages', { uri: 'file:///p', packages: ['requests'] }],
      ['envsense.upgradePackage', { uri: 'file:///p', package: 'PyYAML' }],
    ]);
  });
});
