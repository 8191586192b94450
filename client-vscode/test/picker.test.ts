import * as assert from 'node:assert/strict';
import { buildPickItems, pickEnvironment, type EnvironmentService, type PickItem } from '../src/common/picker';
import type { EnvironmentsResult } from '../src/common/protocol';
import { env } from './fixtures';
import { FakeQuickPick, Uri, fake } from './vscode-mock';

const SEPARATOR = -1;

function labels(items: PickItem[]): string[] {
  return items.map((item) => (item.kind === SEPARATOR ? `-- ${item.label}` : `${item.label} | ${item.description ?? ''}`));
}

const project = env('uv', '.venv', '3.12.1');
const listing: EnvironmentsResult = {
  selected: project,
  reason: 'the project has uv.lock',
  environments: [
    env('system', 'python3', '3.11.2', { executable: '/usr/bin/python3', project: null }),
    env('pyenv', '3.10.13', '3.10.13', { project: null }),
    env('pyenv', '3.13.0', '3.13.0', { project: null }),
    project,
    env('conda', 'base', null, { error: 'conda-meta/history unreadable' }),
    env('some-future-kind', 'x', '3.14.0'),
    env('venv', 'old', '3.9.18'),
  ],
};

describe('environment picker items', () => {
  it('lists the recommended environment first, then one group per kind, then the actions', () => {
    assert.deepEqual(labels(buildPickItems(listing)), [
      '-- Recommended',
      '$(star-full) Python 3.12.1 | .venv (uv)',
      '-- venv',
      '$(circle-outline) Python 3.9.18 | old (venv)',
      '-- conda',
      '$(warning) Python (unknown version) | base (conda): conda-meta/history unreadable',
      '-- pyenv',
      '$(circle-outline) Python 3.13.0 | 3.13.0 (pyenv)',
      '$(circle-outline) Python 3.10.13 | 3.10.13 (pyenv)',
      '-- system',
      '$(circle-outline) Python 3.11.2 | python3 (system)',
      '-- some-future-kind',
      '$(circle-outline) Python 3.14.0 | x (some-future-kind)',
      '-- Other',
      '$(add) Create environment... | ',
      '$(edit) Enter interpreter path... | ',
      '$(folder-opened) Browse... | ',
    ]);
  });

  it('shows the interpreter path as detail', () => {
    const system = buildPickItems(listing).find((item) => item.env?.kind === 'system');
    assert.equal(system?.detail, '/usr/bin/python3');
  });

  it('offers only the actions when nothing was found', () => {
    assert.deepEqual(
      buildPickItems({ environments: [], selected: null, reason: null }).map((i) => i.action ?? i.label),
      ['Other', 'create', 'enterPath', 'browse'],
    );
  });
});

describe('environment picker flow', () => {
  const uri = Uri.file('/home/u/proj/app.py');
  let selected: string[];
  const service: EnvironmentService = {
    environments: async () => listing,
    select: async (_uri, executable) => {
      selected.push(executable);
      return { selected: env('pyenv', '3.13.0', '3.13.0'), reason: 'picked by the user' };
    },
  };
  beforeEach(() => {
    fake.reset();
    selected = [];
  });

  async function run(choose: (pick: FakeQuickPick<PickItem>) => void) {
    const result = pickEnvironment(service, uri as never);
    await new Promise((resolve) => setImmediate(resolve));
    const pick = fake.quickPicks[0] as FakeQuickPick<PickItem>;
    choose(pick);
    return { result: await result, pick };
  }

  it('selects the picked environment through the server', async () => {
    const { result, pick } = await run((pick) => pick.choose((i) => i.env?.name === '3.13.0'));
    assert.deepEqual(selected, ['/home/u/proj/3.13.0/bin/python']);
    assert.equal(result?.reason, 'picked by the user');
    assert.equal(pick.disposed, true);
  });

  it('creates an environment with the server command', async () => {
    await run((pick) => pick.choose((i) => i.action === 'create'));
    assert.deepEqual(fake.executed, [{ id: 'envsense.createEnvironment', args: [{ uri: uri.toString() }] }]);
    assert.deepEqual(selected, []);
  });

  it('selects a typed interpreter path', async () => {
    fake.inputBoxAnswer = '  /opt/py/bin/python3  ';
    await run((pick) => pick.choose((i) => i.action === 'enterPath'));
    assert.deepEqual(selected, ['/opt/py/bin/python3']);
  });

  it('selects a browsed interpreter', async () => {
    fake.openDialogAnswer = ['/opt/other/bin/python'];
    await run((pick) => pick.choose((i) => i.action === 'browse'));
    assert.deepEqual(selected, ['/opt/other/bin/python']);
  });

  it('does nothing when cancelled', async () => {
    const { result } = await run((pick) => pick.choose(undefined));
    assert.equal(result, undefined);
    assert.deepEqual(selected, []);
    assert.deepEqual(fake.executed, []);
  });
});
