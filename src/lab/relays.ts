/**
 * The lab's builtin MTA: mxplan's relay for each planned host, in a helper process in the host's
 * namespace (relay-helper.ts). Down is the relay stopping (its port then refuses); up starts it
 * again on the same state, resuming its queue. The relays' own events are the activity stream.
 * A switch of plans (configure, then reload) hands a running relay the new plan (Relay.reload:
 * its queue is routed anew); a relay started later starts under the plan its host was given.
 */
import type { MailEvent } from '../mail/events.js';
import type { QueuedMessage } from '../sandbox/engine.js';
import { hostLayout } from '../state-layout.js';
import { hostSubject } from '../tls/plan-subjects.js';
import type { Plan } from '../topology/types.js';
import { LabError } from './exec.js';
import { Helper } from './ipc.js';
import type { LabMta, MtaContext } from './mta.js';
import { packPlan, type PackedPlan } from './plan-transfer.js';
import type { RelayInit } from './relay-helper.js';
import { waitUntilAnswering } from './readiness.js';

export async function startRelays(context: MtaContext): Promise<LabMta> {
  const { plan, layout, stateDir } = context;
  // Each plan packed once, however many hosts run it.
  const packs = new WeakMap<Plan, PackedPlan>();
  const packed = (p: Plan) => {
    let pack = packs.get(p);
    if (!pack) packs.set(p, (pack = packPlan(p)));
    return pack;
  };
  /** The plan each host runs (a switch gives the hosts of the new plan theirs). */
  const planOf = new Map([...plan.hosts.keys()].map((id) => [id, plan] as const));
  const running = new Map<string, Helper>();
  let lastMail = Date.now();
  const start = async (hostId: string, options: { linkUp?: boolean } = {}) => {
    if (running.has(hostId)) return;
    const machine = layout.host(hostId);
    const init: RelayInit = {
      plan: packed(planOf.get(hostId)!),
      hostId,
      stateDir,
      nameServers: layout.nameServerAddresses,
      profile: context.profile,
      ...(context.queueLifetime !== undefined && { overrides: { queueLifetime: context.queueLifetime } }),
      tls: { identity: context.pki.identities.get(hostSubject(hostId))!, ca: context.pki.ca },
      earlierHosts: [...context.earlierHosts],
    };
    const helper = await Helper.start(machine.namespace, 'relay', init);
    helper.onEvent((event) => {
      const e = event as MailEvent & { at: number };
      if (e.type === 'listening' || e.type === 'resumed' || e.type === 'error') return;
      if (e.type === 'accepted' || e.type === 'delivered') lastMail = Math.max(lastMail, e.at);
      const { at: _at, ...activity } = e;
      context.emit(activity);
    });
    running.set(hostId, helper);
    if (options.linkUp !== false) await waitUntilAnswering(context.outside, machine, () => helper.exited);
  };
  const helperOf = (hostId: string) => {
    const helper = running.get(hostId);
    if (!helper) throw new LabError(`${hostId} is not running`);
    return helper;
  };
  const mta: LabMta = {
    name: "mxplan's relays",
    start,
    async configure(hostId, next) {
      planOf.set(hostId, next);
    },
    async reload(hostId) {
      await helperOf(hostId).call('reload', packed(planOf.get(hostId)!));
    },
    async stop(hostId) {
      const helper = running.get(hostId);
      running.delete(hostId);
      await helper?.stop();
    },
    submit: (hostId, envelope, message) => helperOf(hostId).call<string>('submit', { envelope, message }),
    queued: (hostId) => helperOf(hostId).call<QueuedMessage[]>('queued'),
    retry: (hostId) =>
      helperOf(hostId)
        .call('retry')
        .then(() => undefined),
    maildirRoot: (hostId) => hostLayout(stateDir, hostId).maildirRoot,
    async catchUp() {
      // Each answer comes after every event the relay sent before it, on the same channel.
      await Promise.allSettled([...running.values()].map((h) => h.call('flush')));
      return { lastMail, holding: false };
    },
    async close() {
      await Promise.allSettled([...running.values()].map((h) => h.stop()));
      running.clear();
    },
  };
  const started = await Promise.allSettled([...plan.hosts.keys()].map((hostId) => start(hostId)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await mta.close();
    throw failed.reason;
  }
  return mta;
}
