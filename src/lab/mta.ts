/**
 * What runs the mail of a lab's hosts: mxplan's relays (relays.ts) or Postfix and Dovecot
 * (postfix.ts), one instance per planned host in its namespace. lab.ts drives either through
 * this interface and keeps the hosts' status itself.
 */
import type { Activity, Envelope, MailAccess, QueuedMessage } from '../sandbox/engine.js';
import type { Pki } from '../tls/pki.js';
import type { Plan } from '../topology/types.js';
import type { LabLayout } from './layout.js';
import type { LabNetwork } from './network.js';
import type { NamespaceSockets } from './sockets.js';

export { MTA_CHOICES, type MtaChoice } from './choices.js';

export interface MtaContext {
  readonly plan: Plan;
  readonly layout: LabLayout;
  readonly network: LabNetwork;
  readonly stateDir: string;
  /** Retry timing: `fast` (seconds, the default) or `default` (Postfix's own, minutes to days). */
  readonly profile: 'fast' | 'default';
  /** Seconds a message may wait in any queue, instead of the profile's. */
  readonly queueLifetime?: number;
  /** Sockets in the outside (to see that a host answers). */
  readonly outside: NamespaceSockets;
  /** The activity stream: each host's in the order it happened. */
  readonly emit: (activity: Activity) => void;
  /** The lab's CA and every host's certificate (<state>/tls/, the files labPaths names for Postfix and Dovecot); a switch may add some. */
  readonly pki: Pki;
  /** The fqdns of the plans run before the current one (plan-switch.ts). */
  readonly earlierHosts: ReadonlySet<string>;
}

export interface LabMta {
  /** What runs the mail, for reports ("Postfix 3.7.11 and Dovecot 2.3.19.1"). */
  readonly name: string;
  /** Starts the host's mail service; resolves once it answers on port 25 (unless its link is cut). */
  start(hostId: string, options?: { readonly linkUp?: boolean }): Promise<void>;
  /** Stops it: nothing listens at its addresses any more. */
  stop(hostId: string): Promise<void>;
  /**
   * A switch of plans: the host (a new one too) runs `plan` from its next start, its
   * configuration written where it has files (`mxplan mta`'s, for Postfix). Its machine is
   * already in the layout, at the plan's addresses.
   */
  configure(hostId: string, plan: Plan): Promise<void>;
  /** Applies what `configure` gave a running host without a restart (`postfix reload`, the relay's reload). */
  reload(hostId: string): Promise<void>;
  submit(hostId: string, envelope: Envelope, message: Buffer): Promise<string | undefined>;
  queued(hostId: string): Promise<readonly QueuedMessage[]>;
  retry(hostId: string): Promise<void>;
  maildirRoot(hostId: string): string;
  /**
   * Reports every activity up to now (a log read to its end, a helper's channel drained):
   * when the last mail was accepted or delivered (Date.now() time), and whether activity is held
   * back (an accepted still waiting to learn its recipients).
   */
  catchUp(): Promise<{ readonly lastMail: number; readonly holding: boolean }>;
  readonly mailAccess?: MailAccess;
  /** Stops every host. */
  close(): Promise<void>;
}
