"""
Verifies every DKIM signature of each message with dkimpy (Debian python3-dkim), an
implementation nobody here wrote, asking mxplan's responder for the keys: dnsfunc queries the
server it is given over UDP (then TCP when truncated) with dnspython, never the system resolver.

stdin:  {"server": "127.0.0.1", "port": 5300, "messages": ["<base64 of the raw message>", ...]}
stdout: one list per message: [{"d": "acme.example", "s": "s2026", "a": "rsa-sha256", "ok": true}, ...]
"""
import base64
import json
import sys

import dkim
import dkim.util
import dns.flags
import dns.message
import dns.query
import dns.rdatatype


def main():
    request = json.load(sys.stdin)
    server, port = request["server"], request["port"]

    def txt(name, timeout=5):
        query = dns.message.make_query(name.decode() if isinstance(name, bytes) else name, "TXT")
        reply = dns.query.udp(query, server, port=port, timeout=timeout)
        if reply.flags & dns.flags.TC:
            reply = dns.query.tcp(query, server, port=port, timeout=timeout)
        for rrset in reply.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                for rdata in rrset:
                    return b"".join(rdata.strings)
        return None

    results = []
    for encoded in request["messages"]:
        message = base64.b64decode(encoded)
        verifier = dkim.DKIM(message)
        signatures = [v for (k, v) in verifier.headers if k.lower() == b"dkim-signature"]
        found = []
        for index, value in enumerate(signatures):
            tags = dkim.util.parse_tag_value(value)
            try:
                ok = dkim.DKIM(message).verify(idx=index, dnsfunc=txt)
            except dkim.ValidationError:  # a body hash mismatch, say: a signature that does not verify
                ok = False
            found.append(
                {
                    "d": tags[b"d"].decode(),
                    "s": tags[b"s"].decode(),
                    "a": tags[b"a"].decode(),
                    "h": tags[b"h"].decode(),
                    "ok": bool(ok),
                }
            )
        results.append(found)
    json.dump(results, sys.stdout)


main()
