/**
 * From the bytes of a file to text a YAML or CSV reader can trust: UTF-8 (YAML 1.2 §5.2; the
 * users CSV is read the same way), and only characters YAML allows in a stream (§5.1
 * c-printable). Binary input is reported once, at its first bad byte, never echoed back.
 */
import type { Finding } from '../diagnostics.js';

export type Decoded = { readonly text: string } | { readonly finding: Finding };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes `bytes` (a BOM is dropped) or says where they stop being UTF-8 text. */
export function decodeText(bytes: Uint8Array | string, file: string, rule: string): Decoded {
  let text: string;
  if (typeof bytes === 'string') text = bytes;
  else {
    try {
      text = UTF8.decode(bytes);
    } catch {
      const offset = firstInvalidUtf8(bytes);
      const { line, column } = positionOfByte(bytes, offset);
      return {
        finding: {
          rule,
          severity: 'error',
          message: `not UTF-8 text at byte ${offset} (0x${bytes[offset]!.toString(16).padStart(2, '0')}): is this the right file?`,
          fix: 'Save the file as UTF-8 text.',
          location: { file, line, column, path: '' },
        },
      };
    }
  }
  const bad = firstNonPrintable(text);
  if (bad < 0) return { text };
  const before = text.slice(0, bad);
  const line = before.split('\n').length;
  const column = bad - before.lastIndexOf('\n');
  const code = text.codePointAt(bad)!.toString(16).toUpperCase().padStart(4, '0');
  return {
    finding: {
      rule,
      severity: 'error',
      message: `control character U+${code} at byte ${Buffer.byteLength(before)}: a text file holds none (YAML 1.2 §5.1)`,
      fix: 'Remove the character, or save the file as plain text.',
      location: { file, line, column, path: '' },
    },
  };
}

/**
 * YAML 1.2 §5.1 c-printable: TAB, LF, CR, the printable ASCII range, NEL, and the rest of
 * Unicode but C1 controls, surrogates and U+FFFE/U+FFFF.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NON_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u0080-\u0084\u0086-\u009F\uFFFE\uFFFF]/;

function firstNonPrintable(text: string): number {
  const match = NON_PRINTABLE.exec(text);
  return match ? match.index : -1;
}

/** The offset where the first ill-formed UTF-8 sequence starts (RFC 3629 §4). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    if (i + length > bytes.length) return i;
    const [low, high] =
      b === 0xe0
        ? [0xa0, 0xbf]
        : b === 0xed
          ? [0x80, 0x9f]
          : b === 0xf0
            ? [0x90, 0xbf]
            : b === 0xf4
              ? [0x80, 0x8f]
              : [0x80, 0xbf];
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k]!;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return bytes.length;
}

/** 1-based line and column (in characters of the valid text before it) of a byte offset. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: [...before.slice(lastNewline + 1)].length + 1 };
}
