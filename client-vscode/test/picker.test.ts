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
const pyenvGlobal = env('pyenv', '3.13.0', '3.13.0', { project: null, title: 'pyenv 3.13.0 (global)' });
const listing: EnvironmentsResult = {
  selected: project,
  recommended: pyenvGlobal,
  reason: 'the project has uv.lock',
  environments: [
    env('system', 'python3', '3.11.2', { executable: '/usr/bin/python3', project: null }),
    env('pyenv', '3.10.13', '3.10.13', { project: null }),
    pyenvGlobal,
    project,
    env('conda', 'base', null, { error: 'conda-meta/history unreadable' }),
    env('some-future-kind', 'x', '3.14.0'),
    env('venv', 'old', '3.9.18'),
  ],
};

describe('environment picker items', () => {
  it('lists the recommended environment first, then one group per kind, then the actions', () => {
    assert.deepEqual(labels(buildPickItems(listing)), [
      '-- Current and recommended',
      '$(check) .venv (3.12.1, uv) | current',
      '$(star-full) pyenv 3.13.0 (global) | Recommended',
      '-- venv',
      '$(circle-outline) old (3.9.18, venv) | ',
      '-- conda',
      '$(warning) base (version unknown, conda) | broken: conda-meta/history unreadable',
      '-- pyenv',
      '$(circle-outline) pyenv 3.10.13 | ',
      '-- system',
      '$(circle-outline) system 3.11.2 (python3) | ',
      '-- some-future-kind',
      '$(circle-outline) x (3.14.0, some-future-kind) | ',
      '-- Other',
      '$(add) Create environment... | ',
      '$(edit) Enter interpreter path... | ',
      '$(folder-opened) Browse... | ',
      '$(circle-slash) None (deactivate) | new terminals of this folder get no environment',
    ]);
  });

  it('marks one environment "current, Recommended" when the rules pick what the project uses', () => {
    const items = buildPickItems({ ...listing, recommended: project });
    assert.equal(items.filter((i) => i.env).filter((i) => i.description === 'current, Recommended').length, 1);
  });

  it('shows the interpreter path as detail', () => {
    const system = buildPickItems(listing).find((item) => item.env?.kind === 'system');
    assert.equal(system?.detail, '/usr/bin/python3');
  });

  it('offers only the actions when nothing was found', () => {
    assert.deepEqual(
      buildPickItems({ environments: [], selected: null, reason: null }).map((i) => i.action ?? i.label),
      ['Other', 'create', 'enterPath', 'browse', 'deactivate'],
    );
  });
});

describe('environment picker flow', () => {
  const uri = Uri.file('/home/u/proj/app.py');
  let selected: string[];
  let created: string[];
  let deactivated: string[];
  const service: EnvironmentService = {
    environments: async () => listing,
    select: async (_uri, executable) => {
      if (executable.startsWith('/nonexistent')) {
        return { selected: project, reason: 'in-project', error: `${executable} can't be used: ${executable} does not exist` };
      }
      selected.push(executable);
      return { selected: env('pyenv', '3.13.0', '3.13.0'), reason: 'picked by the user' };
    },
    create: async (u) => void created.push(u.toString()),
    deactivate: async (u) => void deactivated.push(u.toString()),
  };
  beforeEach(() => {
    fake.reset();
    selected = [];
    created = [];
    deactivated = [];
  });

  async function run(choose: (pick: FakeQuickPick<PickItem>) => void) {
    const result = pickEnvironment(service, uri as never);
    await new Promise((resolve) => setImmediate(resolve));
    const pick = fake.quickPicks[0] as FakeQuickPick<PickItem>;
    choose(pick);
    return { result: await result, pick };
  }

  it('selects the picked environment through the server', async () => {
    const { result, pick } = await run((pick) => pick.choose((i) => i.env?.name === '3.10.13'));
    assert.deepEqual(selected, ['/home/u/proj/3.10.13/bin/python']);
    assert.equal(result?.reason, 'picked by the user');
    assert.equal(pick.disposed, true);
  });

  it('starts the create-environment flow', async () => {
    await run((pick) => pick.choose((i) => i.action === 'create'));
    assert.deepEqual(created, [uri.toString()]);
    assert.deepEqual(selected, []);
  });

  it('deactivates the folder for terminals with "None"', async () => {
    await run((pick) => pick.choose((i) => i.action === 'deactivate'));
    assert.deepEqual(deactivated, [uri.toString()]);
    assert.deepEqual(selected, []);
  });

  it('refuses a typed path the server cannot use: an error, and nothing selected', async () => {
    fake.inputBoxAnswer = '/nonexistent/bin/python';
    const { result } = await run((pick) => pick.choose((i) => i.action === 'enterPath'));
    assert.equal(result, undefined);
    assert.deepEqual(selected, []);
    assert.match(fake.errors[0] ?? '', /does not exist/);
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
