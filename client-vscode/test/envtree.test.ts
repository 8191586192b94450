import * as assert from 'node:assert/strict';
import { EnvironmentsProvider, describeEnvNode, groupEnvironments } from '../src/common/envtree';
import type { EnvironmentsResult } from '../src/common/protocol';
import { env } from './fixtures';
import { Uri } from './vscode-mock';

const venv = env('venv', '.venv', '3.12.1', { title: '.venv (3.12.1, venv)' });
const pyenv13 = env('pyenv', '3.13.0', '3.13.0', { title: 'pyenv 3.13.0 (global)', project: null });
const broken = env('conda', 'base', null, { error: 'conda-meta/history unreadable' });
const result: EnvironmentsResult = {
  environments: [venv, pyenv13, broken],
  selected: venv,
  recommended: pyenv13,
  reason: 'in-project environment .venv',
};

describe('environments view', () => {
  it('groups by kind, project kinds first', () => {
    assert.deepEqual(groupEnvironments(result).map((n) => ('kind' in n ? [n.kind, n.envs.length] : [])), [
      ['venv', 1],
      ['conda', 1],
      ['pyenv', 1],
    ]);
  });

  it('marks the current and the recommended environment, and a broken one', async () => {
    const provider = new EnvironmentsProvider({ currentUri: () => Uri.file('/p') as never, environments: async () => result });
    const groups = await provider.getChildren();
    const rows = (await Promise.all(groups.map((g) => provider.getChildren(g)))).flat();
    assert.deepEqual(rows.map((r) => [describeEnvNode(r).label, describeEnvNode(r).description]), [
      ['.venv (3.12.1, venv)', 'current'],
      ['base (version unknown, conda)', 'broken: conda-meta/history unreadable'],
      ['pyenv 3.13.0 (global)', 'Recommended'],
    ]);
    const item = provider.getTreeItem(rows[2]) as unknown as { command?: { command: string } };
    assert.equal(item.command?.command, 'envsense.environments.select');
    assert.equal((provider.getTreeItem(rows[1]) as unknown as { command?: unknown }).command, undefined);
  });
});
