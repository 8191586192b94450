// Fill bundled/libs with the server (../server/envsense) and its pinned pure-Python libraries,
// byte-compiled.
// Runs pip with the Python in $ENVSENSE_BUNDLE_PYTHON (default python3); --implementation py
// --no-deps makes the result independent of that Python's version and platform.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const libs = join(root, 'bundled', 'libs');
// ENVSENSE_SERVER_SRC: another checkout's server/envsense (e.g. `git archive HEAD` output).
const source = process.env.ENVSENSE_SERVER_SRC || join(root, '..', 'server', 'envsense');
const python = process.env.ENVSENSE_BUNDLE_PYTHON || 'python3';

if (!existsSync(join(source, '__init__.py'))) {
  console.error(`bundle-server: no server package at ${source}`);
  process.exit(1);
}
rmSync(join(root, 'bundled'), { recursive: true, force: true });
const pipArgs = [
  '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-cache-dir', '--no-compile',
  '--target', libs, '--implementation', 'py', '--no-deps', '--only-binary', ':all:',
  '--requirement', join(root, 'requirements-server.txt'),
];
execFileSync(python, pipArgs, { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } });
cpSync(source, join(libs, 'envsense'), {
  recursive: true,
  filter: (path) => !path.includes('__pycache__') && !path.endsWith('.pyc'),
});
// pip leaves console scripts; the extension never runs them.
rmSync(join(libs, 'bin'), { recursive: true, force: true });
// Byte-compile for each Python in $ENVSENSE_BUNDLE_COMPILE (space-separated; default: the one
// above): without .pyc files the first start compiles lsprotocol and the rest (~0.25 s CPU),
// and every start does when the extension folder is read-only. unchecked-hash: the bundle
// never changes after install, and unpacking a VSIX does not keep modification times.
const compilers = (process.env.ENVSENSE_BUNDLE_COMPILE || python).split(' ').filter(Boolean);
for (const compiler of compilers) {
  execFileSync(
    compiler,
    ['-m', 'compileall', '-q', '-j', '0', '--invalidation-mode', 'unchecked-hash', libs],
    { stdio: 'inherit' },
  );
}
console.log(`bundle-server: ${libs}`);
