// Make `require('vscode')` (and vscode-languageclient/node, which needs the whole API at load time)
// resolve to the fakes, for our modules and for any dependency alike.
import Module = require('node:module');
import * as path from 'node:path';

const fakes: Record<string, string> = {
  vscode: path.join(__dirname, 'vscode-mock.js'),
  'vscode-languageclient/node': path.join(__dirname, 'languageclient-mock.js'),
};
const moduleWithResolve = Module as unknown as {
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
};
const original = moduleWithResolve._resolveFilename;
moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return fakes[request] ?? original.call(this, request, ...rest);
};
