import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { serverCommandArgs } from '../src/common/commands';
import { buildLaunch } from '../src/common/server';
import { Uri } from './vscode-mock';

describe('server launch', () => {
  it('runs the bundled launcher isolated with the chosen Python', () => {
    const launch = buildLaunch('/usr/bin/python3', '/ext/envsense-0.1.0', { PATH: '/usr/bin' }, '/work/proj');
    assert.equal(launch.command, '/usr/bin/python3');
    assert.deepEqual(launch.args, ['-I', path.join('/ext/envsense-0.1.0', 'python', 'envsense_launcher.py'), 'serve']);
    assert.equal(launch.options.cwd, '/work/proj');
  });

  it('passes the installer environment through and adds no PYTHONPATH', () => {
    const env = { PATH: '/usr/bin', PIP_FIND_LINKS: '/wheels', PIP_NO_INDEX: '1', UV_OFFLINE: '1' };
    const launch = buildLaunch('python3', '/ext', env);
    assert.equal(launch.options.env.PIP_FIND_LINKS, '/wheels');
    assert.equal(launch.options.env.PIP_NO_INDEX, '1');
    assert.equal(launch.options.env.UV_OFFLINE, '1');
    assert.equal(launch.options.env.PYTHONPATH, undefined);
    assert.equal(env.hasOwnProperty('PYTHONUNBUFFERED'), false, 'the caller environment is not modified');
  });
});

describe('client commands -> server commands', () => {
  const uri = Uri.file('/p/app.py') as never;
  it('installs every missing package of the file', () => {
    assert.deepEqual(serverCommandArgs('envsense.installPackages', uri), { uri: 'file:///p/app.py', all: true });
  });
  it('passes the document to the project commands', () => {
    assert.deepEqual(serverCommandArgs('envsense.installProject', uri), { uri: 'file:///p/app.py' });
    assert.deepEqual(serverCommandArgs('envsense.createEnvironment', uri), { uri: 'file:///p/app.py' });
  });
});
