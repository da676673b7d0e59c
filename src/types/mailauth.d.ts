/**
 * The parts of mailauth 4.9 (CommonJS, no types of its own) that mxplan uses: its verifier, and
 * the canonicalization and formatting its own DKIM signer is built from (src/mail/dkim-sign.ts
 * says why the signer itself is not used).
 */
declare module 'mailauth' {
  type Resolver = (name: string, rrtype: string) => Promise<unknown>;

  interface Status {
    readonly result: string;
    readonly comment?: string;
  }

  export interface AuthenticateResult {
    readonly dkim: {
      readonly headerFrom?: readonly string[];
      readonly results: readonly {
        readonly signingDomain?: string;
        readonly selector?: string;
        readonly algo?: string;
        readonly status: Status & { readonly aligned?: string | false };
        readonly info: string;
      }[];
    };
    readonly spf: { readonly domain?: string; readonly status: Status; readonly info: string } | false;
    readonly dmarc:
      | {
          readonly domain?: string;
          readonly policy?: string;
          readonly p?: string;
          readonly status: Status;
          readonly alignment?: {
            readonly spf?: { readonly result: string | false };
            readonly dkim?: { readonly result: string | false };
          };
          readonly info: string;
        }
      | false
      | undefined;
    readonly headers: string;
  }

  export function authenticate(
    message: Buffer | string,
    options: {
      readonly ip: string;
      readonly helo: string;
      readonly sender: string;
      readonly mta: string;
      readonly resolver: Resolver;
      readonly disableArc?: boolean;
      readonly disableBimi?: boolean;
      readonly minBitLength?: number;
    },
  ): Promise<AuthenticateResult>;
}

declare module 'mailauth/lib/tools.js' {
  interface ParsedHeader {
    readonly key: string;
    readonly casedKey: string;
    readonly line: Buffer;
  }
  interface SigningHeaderLines {
    readonly keys: string;
    readonly headers: readonly ParsedHeader[];
  }
  const tools: {
    parseHeaders(header: Buffer): { parsed: ParsedHeader[] };
    getSigningHeaderLines(parsed: readonly ParsedHeader[], fieldNames: string): SigningHeaderLines;
    formatSignatureHeaderLine(type: 'DKIM', values: Record<string, string | number>, folded: boolean): string;
  };
  export default tools;
}

declare module 'mailauth/lib/dkim/body/index.js' {
  const body: {
    dkimBody(
      canonicalization: 'relaxed' | 'simple',
      hash: 'sha256',
      maxBodyLength: false,
    ): { update(chunk: Buffer): void; digest(encoding: 'base64'): string };
  };
  export default body;
}

declare module 'mailauth/lib/dkim/header/index.js' {
  const header: {
    generateCanonicalizedHeader(
      type: 'DKIM',
      signingHeaderLines: { readonly keys: string; readonly headers: readonly unknown[] },
      options: {
        readonly signingDomain: string;
        readonly selector: string;
        readonly algorithm: string;
        readonly canonicalization: string;
        readonly bodyHash: string;
        readonly signTime: Date;
      },
    ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, string | number> };
  };
  export default header;
}
