/**
 * Real zone checkers run on generated files: BIND's named-checkzone / named-compilezone /
 * named-checkconf, Knot's kzonecheck / knotc, NSD's nsd-checkconf. None of them was written here,
 * so they are the independent judges of what the zone writer produces.
 */
import { execFile } from 'node:child_process';
import type { ResourceRecord } from '../../src/dns/records.js';

export interface ToolRun {
  readonly code: number;
  /** stdout and stderr together, as a person would see them. */
  readonly output: string;
}

export function run(command: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(command, [...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * The strict named-checkzone run: check-names, MX-is-address, MX-to-CNAME, NS-is-address and
 * SRV-to-CNAME all fatal, integrity checks on in-zone data only (nothing is resolved).
 */
export const STRICT_CHECKZONE = [
  '-i',
  'local',
  '-k',
  'fail',
  '-m',
  'fail',
  '-M',
  'fail',
  '-n',
  'fail',
  '-S',
  'fail',
] as const;

export function namedCheckzone(origin: string, file: string): Promise<ToolRun> {
  return run('named-checkzone', [...STRICT_CHECKZONE, origin, file]);
}

export function kzonecheck(origin: string, file: string): Promise<ToolRun> {
  return run('kzonecheck', ['-o', origin, file]);
}

/** The records BIND reads from a file: named-compilezone's one-record-per-line dump, parsed. */
export async function compiledRecords(origin: string, file: string): Promise<ResourceRecord[]> {
  const { code, output } = await run('named-compilezone', [
    ...STRICT_CHECKZONE,
    '-s',
    'full',
    '-q',
    '-o',
    '-',
    origin,
    file,
  ]);
  if (code !== 0) throw new Error(`named-compilezone ${origin} failed:\n${output}`);
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parseCompiledLine);
}

/** `owner. TTL IN TYPE rdata…` with names absolute and TXT strings quoted. */
function parseCompiledLine(line: string): ResourceRecord {
  const [owner, ttlText, klass, type, ...rdata] = tokens(line);
  if (klass !== 'IN' || owner === undefined || ttlText === undefined) throw new Error(`unexpected line: ${line}`);
  const name = relativeToRoot(owner);
  const ttl = Number(ttlText);
  switch (type) {
    case 'SOA': {
      const [mname = '', rname = '', ...timers] = rdata;
      const [serial, refresh, retry, expire, minimum] = timers.map(Number) as [number, number, number, number, number];
      return {
        name,
        type,
        ttl,
        data: { mname: relativeToRoot(mname), rname: relativeToRoot(rname), serial, refresh, retry, expire, minimum },
      };
    }
    case 'MX':
      return { name, type, ttl, data: { preference: Number(rdata[0]), exchange: relativeToRoot(rdata[1] ?? '') } };
    case 'NS':
    case 'PTR':
    case 'CNAME':
      return { name, type, ttl, data: relativeToRoot(rdata[0] ?? '') };
    case 'A':
    case 'AAAA':
      return { name, type, ttl, data: rdata[0] ?? '' };
    case 'TXT':
      return { name, type, ttl, data: rdata };
    default:
      throw new Error(`unexpected type in: ${line}`);
  }
}

/** "acme.example." → "acme.example"; "." → "" (the root). */
function relativeToRoot(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/**
 * Splits a presentation-format line into fields; a quoted string becomes its decoded text
 * (\X is X, \DDD is the octet DDD, RFC 1035 §5.1).
 */
function tokens(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i]!)) {
      i++;
      continue;
    }
    if (line[i] === '"') {
      const octets: number[] = [];
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && /^\d{3}$/.test(line.slice(i + 1, i + 4))) {
          octets.push(Number(line.slice(i + 1, i + 4)));
          i += 4;
        } else {
          if (line[i] === '\\') i++;
          octets.push(...Buffer.from(line[i]!, 'utf8'));
          i++;
        }
      }
      i++;
      out.push(Buffer.from(octets).toString('utf8'));
      continue;
    }
    let j = i;
    while (j < line.length && !/\s/.test(line[j]!)) j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}
