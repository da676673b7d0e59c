/**
 * The one line for each ordinary environment error, including those a test cannot provoke on
 * every machine (EROFS needs a read-only mount; EACCES does not happen to root). The errors are
 * Node's own, as fs and net raise them (code, syscall, path).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attempt, describeFailure } from '../../src/cli/failure.js';
import { ResourceError, UsageError } from '../../src/errors.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

/** An error shaped as Node's fs raises it. */
function errno(code: string, syscall: string, path?: string): Error {
  return Object.assign(new Error(`${code}: ${syscall}${path ? ` '${path}'` : ''}`), {
    code,
    syscall,
    ...(path && { path }),
  });
}

const failing = (error: Error) => Promise.reject(error);

describe('describeFailure', () => {
  it.each([
    [errno('ENOENT', 'open', 'topology.yaml'), {}, 'cannot open topology.yaml: no such file or directory'],
    [
      errno('EROFS', 'mkdir', '/ro/state'),
      { path: '--state' },
      'cannot create the directory /ro/state: the file system is read-only; choose another path on a writable file system with --state',
    ],
    [
      errno('EACCES', 'open', '/etc/report.sarif'),
      { path: '--output-file' },
      'cannot open /etc/report.sarif: permission denied; choose another path with --output-file, or change its permissions',
    ],
    [
      errno('ENOSPC', 'write'),
      { doing: 'cannot write the report to out.sarif' },
      'cannot write the report to out.sarif: no space left on the device; free some space, or choose another path on another file system',
    ],
    [
      errno('EEXIST', 'mkdir', '/tmp/x'),
      {},
      'cannot create the directory /tmp/x: a file is in the way; remove it, or choose another path',
    ],
    [
      errno('EMFILE', 'open', '/tmp/x'),
      {},
      'cannot open /tmp/x: too many open files; raise the limit on open files (ulimit -n)',
    ],
    [errno('ECONNRESET', 'read'), {}, 'cannot read: ECONNRESET: read'],
  ] as const)('%s', async (error, context, line) => {
    const thrown = await attempt(failing(error), context).catch((e: unknown) => e);
    expect(describeFailure(thrown)).toBe(line);
  });

  it('keeps what a library said, and replaces a bare errno at its end by words', async () => {
    const cause = errno('ENOTDIR', 'scandir', '/tmp/file/zones');
    const error = new ResourceError('cannot use /tmp/file/zones as the output directory (ENOTDIR)', { cause });
    expect(describeFailure(await attempt(failing(error), { path: '--out' }).catch((e: unknown) => e))).toBe(
      'cannot use /tmp/file/zones as the output directory: a part of the path is a file, not a directory; choose another path with --out',
    );
  });

  it('says the port, not a path, for a bind', async () => {
    const cause = errno('EADDRINUSE', 'bind');
    const error = new ResourceError('cannot listen on 127.0.0.1:53/udp: the port is already in use', { cause });
    expect(describeFailure(await attempt(failing(error), { port: '--listen', path: '--state' }).catch((e) => e))).toBe(
      'cannot listen on 127.0.0.1:53/udp: the port is already in use; choose another port with --listen',
    );
  });

  it("prints mxplan's own errors as they are, and leaves anything else to the internal-error path", () => {
    expect(describeFailure(new UsageError('--serial takes a whole number'))).toBe('--serial takes a whole number');
    expect(describeFailure(new TypeError('x is undefined'))).toBeUndefined();
  });

  it("lets errors that are not the system's pass through attempt unchanged", async () => {
    const bug = new TypeError('x is undefined');
    expect(await attempt(failing(bug), { path: '--out', doing: 'cannot write' }).catch((e) => e)).toBe(bug);
    expect(await attempt(Promise.resolve(7), { path: '--out' })).toBe(7);
  });

  it('describes a real failure of fs the same way', async () => {
    const dir = await tempDir('failure');
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const error = await attempt(mkdir(join(file, 'state'), { recursive: true }), { path: '--state' }).catch((e) => e);
    expect(describeFailure(error)).toBe(
      `cannot create the directory ${join(file, 'state')}: a part of the path is a file, not a directory; choose another path with --state`,
    );
  });
});
