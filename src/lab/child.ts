/**
 * Entry of the lab's helper processes (ipc.ts), started with `ip netns exec <namespace> node
 * child.js <role>`: the first message says what to start; then the role's operations are served
 * until `stop`, or until the lab's process is gone.
 */
import { type HelperRole, type Operation, serve } from './ipc.js';

type Start = (init: never) => Promise<{ operations: Record<string, Operation>; stop: () => Promise<void> }>;

const ROLES: Readonly<Record<HelperRole, () => Promise<Start>>> = {
  sockets: async () => {
    const { socketOperations } = await import('./sockets-helper.js');
    return async () => ({ operations: socketOperations(), stop: async () => {} });
  },
  relay: async () => (await import('./relay-helper.js')).startRelayHelper,
  dns: async () => (await import('./dns-helper.js')).startDnsHelper,
  receiver: async () => (await import('./receiver-helper.js')).startReceiverHelper,
  web: async () => (await import('./web-helper.js')).startWebHelper,
};

const role = process.argv[2] as HelperRole;
process.once('message', (message: { init: unknown }) => {
  void (async () => {
    try {
      const start = await ROLES[role]();
      const { operations, stop } = await start(message.init as never);
      serve(operations, stop);
      process.send!({ ready: true });
    } catch (error) {
      process.send!({ failed: `the lab's ${role} helper: ${(error as Error).message}` }, () => process.exit(1));
    }
  })();
});
