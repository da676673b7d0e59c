/**
 * The responder: every query runs through the steps in STEPS, in that order, and then `fit`
 * shapes the reply for its transport. Like CoreDNS's plugin.cfg, ORDER MATTERS: a step feels
 * the effects of every step before it (the parsed question, the zone found) and must not
 * care what the steps after it do. A step returns true when it has decided the reply.
 *
 * The whole path works on the client's own bytes: the reply is the query's header (patched
 * in place) and question, its letter case kept (resolvers check it: draft-vixie-dnsext-dns0x20),
 * then a pre-encoded tail. The common path allocates at most a view of the query's buffer.
 */
import { AnswerCache, PreparedAnswer, prepare, type NameEntry } from './answer-cache.js';
import { Query, Verdict, parseQuery } from './query.js';
import { ZoneIndex, type ServedZone } from './zone-index.js';
import { CLASSIC_UDP_LIMIT, CLASS_IN, FLAG2, FLAG3, HEADER_LENGTH, RCODE, TCP_LIMIT, TYPE, typeName } from './wire.js';
import type { Zone } from '../records.js';
import { serialGreater } from '../serial.js';

export type Transport = 'udp' | 'tcp';

/** What the server does with a query once the responder is through with it. */
export const Outcome = { DROP: 0, REPLY: 1, TRANSFER: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** A failure the sandbox injects for one question (CoreDNS's erratic plugin): no reply, or SERVFAIL. */
export type FaultAction = 'drop' | 'servfail';
export type FaultRule = (question: { readonly name: string; readonly type: string }) => FaultAction | undefined;

export interface ResponderOptions {
  /**
   * The largest UDP reply we send, whatever the requester offers, and the size we advertise
   * (RFC 6891 §6.2.5). 1232 avoids IP fragmentation on any common path (DNS flag day 2020).
   */
  readonly maxUdpPayload?: number;
}

/** The state of one query as it moves through the steps; one instance is reused. */
export class Exchange {
  msg: Buffer = Buffer.alloc(0);
  transport: Transport = 'udp';
  readonly query = new Query();
  outcome: Outcome = Outcome.DROP;
  answer: PreparedAnswer = EMPTY_SERVFAIL;
  entry: NameEntry | undefined;
  encloser: NameEntry | undefined;
  transferZone: ServedZone | undefined;
  // Written by fit:
  rcode = 0;
  head: Buffer = this.msg;
  tail: Buffer = this.msg;
  opt: Buffer | undefined;
  length = 0;
  truncated = false;

  reset(msg: Buffer, transport: Transport): void {
    this.msg = msg;
    this.transport = transport;
    this.outcome = Outcome.REPLY;
    this.entry = undefined;
    this.encloser = undefined;
    this.transferZone = undefined;
    this.opt = undefined;
    this.truncated = false;
  }

  /** Decides an empty reply with `rcode`. */
  fail(rcode: number): true {
    this.answer = EMPTY_ANSWERS.get(rcode) ?? PreparedAnswer.empty(rcode);
    return true;
  }
}

const EMPTY_ANSWERS = new Map<number, PreparedAnswer>(
  [RCODE.FORMERR, RCODE.SERVFAIL, RCODE.NOTIMP, RCODE.REFUSED, RCODE.NOTAUTH, RCODE.BADVERS].map((rcode) => [
    rcode,
    PreparedAnswer.empty(rcode),
  ]),
);
const EMPTY_SERVFAIL = EMPTY_ANSWERS.get(RCODE.SERVFAIL)!;

type Step = (x: Exchange, r: Responder) => boolean;

/** parse: read header, question and OPT; malformed queries end here (or get no reply at all). */
const parse: Step = (x) => {
  switch (parseQuery(x.msg, x.query)) {
    case Verdict.OK:
      return false;
    case Verdict.DROP:
      x.outcome = Outcome.DROP;
      return true;
    case Verdict.NOTIMP:
      return x.fail(RCODE.NOTIMP);
    case Verdict.BADVERS:
      return x.fail(RCODE.BADVERS);
    default:
      return x.fail(RCODE.FORMERR);
  }
};

/** fault: failures injected for chosen questions; off unless a rule is set. */
const fault: Step = (x, r) => {
  if (!r.fault) return false;
  const action = r.fault({ name: x.query.lowerName(), type: typeName(x.query.qtype) });
  if (action === 'drop') {
    x.outcome = Outcome.DROP;
    return true;
  }
  return action === 'servfail' ? x.fail(RCODE.SERVFAIL) : false;
};

/** policy: class IN only; meta types that are not questions about data. */
const policy: Step = (x) => {
  const { qclass, qtype } = x.query;
  // Our zones exist in class IN only; CHAOS queries (version.bind) and the rest are refused.
  if (qclass !== CLASS_IN) return x.fail(RCODE.REFUSED);
  // RFC 6891 §6.1.1: OPT is a pseudo-record and never the subject of a question.
  if (qtype === TYPE.OPT) return x.fail(RCODE.FORMERR);
  // MAILA and MAILB (RFC 1035 §3.2.3) ask for the obsolete MB/MG/MR/MD/MF records.
  if (qtype === TYPE.MAILA || qtype === TYPE.MAILB) return x.fail(RCODE.NOTIMP);
  return false;
};

/** zone: the question name, or its closest existing ancestor; names in no served zone are REFUSED. */
const zone: Step = (x, r) => {
  x.entry = r.cache.exact(x.query);
  if (x.entry) return false;
  x.encloser = r.cache.closestEncloser(x.query);
  return x.encloser ? false : x.fail(RCODE.REFUSED);
};

/** transfer: AXFR and IXFR of a whole zone, at its apex, over TCP. */
const transfer: Step = (x) => {
  const { qtype, ixfrSerial } = x.query;
  if (qtype !== TYPE.AXFR && qtype !== TYPE.IXFR) return false;
  const node = x.entry?.node;
  // RFC 5936 §2.2.1: a transfer of something that is not a zone we serve gets NotAuth.
  if (!node || node.name !== node.zone.origin) return x.fail(RCODE.NOTAUTH);
  // RFC 1995 §2: a client with the current serial, or a newer one (RFC 1982), gets the current
  // SOA alone; so does IXFR over UDP ("ask over TCP"), whatever its serial.
  const current = node.zone.soa.data.serial;
  const upToDate = ixfrSerial === current || (ixfrSerial >= 0 && serialGreater(ixfrSerial, current));
  if (x.transport === 'tcp' && !(qtype === TYPE.IXFR && upToDate)) {
    // RFC 1995 §4: a server may answer IXFR with the whole zone, as AXFR does.
    x.outcome = Outcome.TRANSFER;
    x.transferZone = node.zone;
    return true;
  }
  // RFC 5936 §4.2: AXFR over UDP is not defined.
  if (qtype === TYPE.AXFR) return x.fail(RCODE.NOTIMP);
  x.answer = x.entry!.byType.get(TYPE.SOA)!;
  return true;
};

/** authority: the answer encoded at start-up, or one resolved and encoded for this query. */
const authority: Step = (x, r) => {
  const q = x.query;
  x.answer =
    r.cache.answerFor(x.entry, x.encloser, q.qtype) ??
    prepare(r.index.resolve(q.lowerName(), q.qtype), q.msg.subarray(HEADER_LENGTH, q.qnameEnd));
  return true;
};

/** The order of the steps. Read top to bottom; each one only sees what the ones above settled. */
const STEPS: readonly Step[] = [parse, fault, policy, zone, transfer, authority];

export class Responder {
  /** The zones served and their encoded answers, replaced together (replaceZones). */
  private served: { readonly index: ZoneIndex; readonly cache: AnswerCache };
  readonly maxUdpPayload: number;
  fault: FaultRule | undefined;
  /** Told about a step that threw (a bug); the query got SERVFAIL. */
  onError: ((error: unknown) => void) | undefined;
  /** The exchange of the query being answered; valid until the next call to respond. */
  readonly exchange = new Exchange();
  /** OPT records to append: [plain, DO, BADVERS, BADVERS+DO]. */
  private readonly opts: readonly Buffer[];

  constructor(zones: readonly Zone[], options: ResponderOptions = {}) {
    this.maxUdpPayload = Math.max(CLASSIC_UDP_LIMIT, Math.min(options.maxUdpPayload ?? 1232, TCP_LIMIT));
    this.served = served(zones);
    const payload = this.maxUdpPayload;
    this.opts = [
      optRecord(payload, 0, false),
      optRecord(payload, 0, true),
      optRecord(payload, RCODE.BADVERS, false),
      optRecord(payload, RCODE.BADVERS, true),
    ];
  }

  get index(): ZoneIndex {
    return this.served.index;
  }

  get cache(): AnswerCache {
    return this.served.cache;
  }

  /**
   * Serves `zones` instead, all at once: respond() runs to its end without yielding, so every
   * answer comes wholly from the old zones or wholly from the new ones, and no answer the old
   * ones encoded is given after (the cache goes with its index). A transfer under way streams the
   * zone it started with (RFC 5936 §6: a client asks again when the serial moved on).
   */
  replaceZones(zones: readonly Zone[]): void {
    this.served = served(zones);
  }

  /**
   * Answers one message. On REPLY, exchange.head, .tail and .opt are the reply's parts (head
   * is the query's own buffer, patched); on TRANSFER the server streams exchange.transferZone.
   */
  respond(msg: Buffer, transport: Transport): Outcome {
    const x = this.exchange;
    x.reset(msg, transport);
    try {
      for (let i = 0; i < STEPS.length; i++) if (STEPS[i]!(x, this)) break;
      if (x.outcome === Outcome.REPLY) this.fit(x);
    } catch (error) {
      // CoreDNS turns a handler's error into SERVFAIL; so do we, if there is a header to answer.
      this.onError?.(error);
      x.outcome = Outcome.DROP;
      if (msg.length < HEADER_LENGTH) return x.outcome;
      x.fail(RCODE.SERVFAIL);
      x.query.questionEnd = 0;
      x.query.edns = false;
      try {
        this.fit(x);
        x.outcome = Outcome.REPLY;
      } catch {
        // Nothing sensible left to say.
      }
    }
    return x.outcome;
  }

  /** The OPT record for a reply, when the query had one (RFC 6891 §7: never otherwise). */
  optFor(rcode: number, dnssecOk: boolean): Buffer {
    return this.opts[(rcode === RCODE.BADVERS ? 2 : 0) + (dnssecOk ? 1 : 0)]!;
  }

  /**
   * fit: writes the header and picks how much of the tail the transport takes. RFC 2181 §9:
   * whole additional RRsets are shed first without TC; only when the answer or authority
   * section does not fit is TC set, with no records, so the client retries over TCP.
   */
  private fit(x: Exchange): void {
    const q = x.query;
    const msg = x.msg;
    const answer = x.answer;
    const rcode = answer.rcode;
    const withQuestion = q.questionEnd > 0;
    const headLength = withQuestion ? q.questionEnd : HEADER_LENGTH;
    // A FORMERR may be about the OPT record itself, so it never carries one.
    const opt = q.edns && rcode !== RCODE.FORMERR ? this.optFor(rcode, q.dnssecOk) : undefined;
    const optLength = opt ? opt.length : 0;
    const limit =
      x.transport === 'tcp' ? TCP_LIMIT : q.edns ? Math.min(q.udpPayload, this.maxUdpPayload) : CLASSIC_UDP_LIMIT;

    const fits = answer.fits;
    let tailLength = answer.tail.length;
    let answers = answer.answerCount;
    let authorities = answer.authorityCount;
    let additionals = fits[fits.length - 1]!;
    let truncated = false;
    if (headLength + tailLength + optLength > limit) {
      tailLength = -1;
      for (let k = fits.length - 4; k >= 0; k -= 2) {
        if (headLength + fits[k]! + optLength <= limit) {
          tailLength = fits[k]!;
          additionals = fits[k + 1]!;
          break;
        }
      }
      if (tailLength < 0) {
        tailLength = answers = authorities = additionals = 0;
        truncated = true;
      }
    }

    // Header (RFC 1035 §4.1.1): QR set, opcode and RD copied, AA for our own data, RA clear;
    // CD copied (RFC 4035 §3.2.2); AD and Z clear. The low four bits of an extended RCODE go here.
    msg[2] =
      FLAG2.QR |
      (msg[2]! & (FLAG2.OPCODE_MASK | FLAG2.RD)) |
      (answer.authoritative ? FLAG2.AA : 0) |
      (truncated ? FLAG2.TC : 0);
    msg[3] = (msg[3]! & FLAG3.CD) | (rcode & FLAG3.RCODE_MASK);
    msg[4] = 0;
    msg[5] = withQuestion ? 1 : 0;
    msg[6] = answers >> 8;
    msg[7] = answers & 0xff;
    msg[8] = authorities >> 8;
    msg[9] = authorities & 0xff;
    const arcount = additionals + (opt ? 1 : 0);
    msg[10] = arcount >> 8;
    msg[11] = arcount & 0xff;

    x.rcode = rcode;
    x.head = headLength === msg.length ? msg : msg.subarray(0, headLength);
    x.tail = tailLength === answer.tail.length ? answer.tail : answer.tail.subarray(0, tailLength);
    x.opt = opt;
    x.length = headLength + tailLength + optLength;
    x.truncated = truncated;
  }
}

/** RFC 6891 §6.1.2-6.1.3: root owner, TYPE 41, CLASS = our payload size, TTL = ext-RCODE/version/DO. */
function optRecord(payload: number, rcode: number, dnssecOk: boolean): Buffer {
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(TYPE.OPT, 1);
  opt.writeUInt16BE(payload, 3);
  opt[5] = rcode >> 4;
  opt[6] = 0;
  opt[7] = dnssecOk ? 0x80 : 0;
  return opt;
}

function served(zones: readonly Zone[]): { readonly index: ZoneIndex; readonly cache: AnswerCache } {
  const index = new ZoneIndex(zones);
  return { index, cache: new AnswerCache(index) };
}
