// Stand-in for vscode-languageclient/node: the real one needs the whole VS Code API at load time.
// Protocol behaviour is tested against the real server (tests/e2e, tests/editors), not here.
export enum State {
  Stopped = 1,
  Starting = 3,
  Running = 2,
}
export enum RevealOutputChannelOn {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
  Never = 4,
}
export class LanguageClient {
  static created: LanguageClient[] = [];
  state = State.Stopped;
  constructor(
    readonly id: string,
    readonly name: string,
    readonly serverOptions: unknown,
    readonly clientOptions: unknown,
  ) {
    LanguageClient.created.push(this);
  }
  async start(): Promise<void> {
    this.state = State.Running;
  }
  async stop(): Promise<void> {
    this.state = State.Stopped;
  }
  onDidChangeState(): void {}
  onNotification(): void {}
  onRequest(): { dispose(): void } {
    return { dispose() {} };
  }
}
