import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseVersion, pathCandidates, probeVersion, resolveServerPython, type PythonVersion } from '../src/common/python';

function probeFrom(versions: Record<string, PythonVersion | null>) {
  const probed: string[] = [];
  return {
    probed,
    probe: async (python: string) => {
      probed.push(python);
      return versions[python] ?? null;
    },
  };
}

describe('server interpreter choice', () => {
  it('uses envsense.server.python when set and recent enough', async () => {
    const { probe, probed } = probeFrom({ '/opt/py312/bin/python': [3, 12] });
    const found = await resolveServerPython({
      setting: '/opt/py312/bin/python',
      pathCandidates: ['/usr/bin/python3'],
      pythonExtension: async () => '/ext/python',
      probe,
    });
    assert.deepEqual(found, { ok: true, python: '/opt/py312/bin/python', version: [3, 12], source: 'setting' });
    assert.deepEqual(probed, ['/opt/py312/bin/python']);
  });

  it('reports a setting that is too old instead of silently using another Python', async () => {
    const { probe } = probeFrom({ '/opt/py39/bin/python': [3, 9], '/usr/bin/python3': [3, 11] });
    const found = await resolveServerPython({ setting: '/opt/py39/bin/python', pathCandidates: ['/usr/bin/python3'], pythonExtension: async () => undefined, probe });
    assert.equal(found.ok, false);
    assert.match(!found.ok ? found.message : '', /Python 3\.9; the envsense server needs Python >= 3\.10/);
  });

  it('reports a setting that does not run', async () => {
    const { probe } = probeFrom({});
    const found = await resolveServerPython({ setting: '/nope/python', pathCandidates: [], pythonExtension: async () => undefined, probe });
    assert.match(!found.ok ? found.message : '', /"\/nope\/python", which does not run/);
  });

  it('takes the first python3 >= 3.10 on PATH, skipping older and broken ones', async () => {
    const { probe, probed } = probeFrom({ '/a/python3': [3, 8], '/c/python3': [3, 11], '/d/python3': [3, 13] });
    const found = await resolveServerPython({
      setting: null,
      pathCandidates: ['/a/python3', '/b/python3', '/c/python3', '/d/python3'],
      pythonExtension: async () => '/ext/python',
      probe,
    });
    assert.deepEqual(found, { ok: true, python: '/c/python3', version: [3, 11], source: 'path' });
    assert.deepEqual(probed, ['/a/python3', '/b/python3', '/c/python3']);
  });

  it("falls back to the Python extension's interpreter", async () => {
    const { probe } = probeFrom({ '/a/python3': [3, 9], '/ext/bin/python': [3, 12] });
    const found = await resolveServerPython({ setting: null, pathCandidates: ['/a/python3'], pythonExtension: async () => '/ext/bin/python', probe });
    assert.deepEqual(found, { ok: true, python: '/ext/bin/python', version: [3, 12], source: 'python-extension' });
  });

  it('says what it tried and what to do when nothing fits', async () => {
    const { probe } = probeFrom({ '/a/python3': [3, 9] });
    const found = await resolveServerPython({ setting: null, pathCandidates: ['/a/python3'], pythonExtension: async () => undefined, probe });
    assert.equal(found.ok, false);
    const message = !found.ok ? found.message : '';
    assert.match(message, /needs Python >= 3\.10/);
    assert.match(message, /\/a\/python3 \(3\.9\)/);
    assert.match(message, /envsense\.server\.python/);
  });
});

describe('finding python3 on PATH', () => {
  it('lists python3 of each PATH entry in order, once', () => {
    const present = new Set(['/usr/local/bin/python3', '/usr/bin/python3']);
    assert.deepEqual(
      pathCandidates('/home/u/bin:/usr/local/bin::/usr/bin:/usr/local/bin', 'linux', (p) => present.has(p)),
      ['/usr/local/bin/python3', '/usr/bin/python3'],
    );
  });

  it('uses ; and python.exe on Windows', () => {
    const present = new Set(['C:\\Py312\\python.exe']);
    assert.deepEqual(pathCandidates('C:\\Windows;C:\\Py312', 'win32', (p) => present.has(p)), ['C:\\Py312\\python.exe']);
  });

  it('finds real executables and ignores folders named python3', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envsense-path-'));
    fs.mkdirSync(path.join(dir, 'a', 'python3'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'b'));
    fs.writeFileSync(path.join(dir, 'b', 'python3'), '#!/bin/sh\n', { mode: 0o755 });
    assert.deepEqual(pathCandidates(`${dir}/a:${dir}/b`, 'linux'), [path.join(dir, 'b', 'python3')]);
  });
});

describe('probing an interpreter', () => {
  it('reads the version of a real Python', async () => {
    const version = await probeVersion('python3');
    assert.ok(version && version[0] === 3 && version[1] >= 6, `got ${version}`);
  });

  it('returns null for a missing interpreter', async () => {
    assert.equal(await probeVersion('/definitely/not/python3'), null);
  });

  it('parses X.Y output', () => {
    assert.deepEqual(parseVersion('3.12\n'), [3, 12]);
    assert.equal(parseVersion('Python'), null);
  });
});
