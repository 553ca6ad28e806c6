#!/usr/bin/env python3
"""Writes the seed corpora under tests/Fuzz/corpus/TARGET/ (committed; rerun after changing a harness's input format).

Each seed is one valid (or nearly valid) input in the harness's format: a control byte, then the codec's bytes.
pgoutput seeds are windows of the messages captured from PostgreSQL in tests/Protocol.Tests/Vectors/pgoutput.
"""
import base64, hashlib, hmac, json, os, pathlib, shutil, struct

root = pathlib.Path(__file__).resolve().parent
corpus = root / "corpus"
vectors = root.parent / "Protocol.Tests" / "Vectors" / "pgoutput"


def write(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def frame(opcode, payload, fin=True, mask=b"\x37\xfa\x21\x3d", rsv=0):
    b0 = (0x80 if fin else 0) | rsv | opcode
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head = bytes([b0, mask_bit | n])
    elif n < 65536:
        head = bytes([b0, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mask_bit | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def websocket():
    hb = b'[null,"1","phoenix","heartbeat",{}]'
    write("websocket", "heartbeat", b"\x06" + frame(1, hb))
    write("websocket", "ping-pong", b"\x00" + frame(9, b"hi") + frame(10, b""))
    write("websocket", "close-1000", b"\x00" + frame(8, struct.pack(">H", 1000) + b"bye"))
    write("websocket", "close-empty", b"\x00" + frame(8, b""))
    write("websocket", "fragmented-text", b"\x0a" + frame(1, hb[:10], fin=False) + frame(9, b"p") + frame(0, hb[10:]))
    write("websocket", "utf8-split", b"\x02" + frame(1, "h\u00e9llo \u20ac \U0001f600".encode(), fin=False) + frame(0, "\u00e9".encode()))
    write("websocket", "binary-126", b"\x40" + frame(2, bytes(range(200))))
    write("websocket", "binary-64bit", b"\x40" + frame(2, bytes(65536))[:120])
    write("websocket", "client-unmasked", b"\x01" + frame(1, b"hello", mask=None) + frame(8, struct.pack(">H", 1001), mask=None))
    write("websocket", "bad-utf8", b"\x04" + frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))
    write("websocket", "rsv1", b"\x00" + frame(1, b"x", rsv=0x40))


def phoenix_json():
    seeds = {
        "v1-heartbeat": b'\x00{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}',
        "v1-join": b'\x00{"topic":"realtime:room","event":"phx_join","payload":{"config":{"broadcast":{"self":true}}},"ref":"2","join_ref":"2"}',
        "v2-heartbeat": b'\x01[null,"11","phoenix","heartbeat",{}]',
        "v2-join": b'\x01["1","1","realtime:room","phx_join",{"config":{"postgres_changes":[{"event":"*","schema":"public","table":"t","filter":"id=eq.1"}]},"access_token":"x"}]',
        "v2-broadcast": b'\x01["1","2","realtime:room","broadcast",{"type":"broadcast","event":"ev","payload":{"a":[1,2.5,null,true]}}]',
        "v2-escaped": b'\x01["\\u0031","\\"2\\"","realtime:r\\u00e9","ev\\n",{}]',
        "v2-extra": b'\x01[null,"3","phoenix","heartbeat",{},1]',
    }
    for name, data in seeds.items():
        write("phoenix-json", name, data)


def phoenix_binary():
    def push(join_ref, ref, topic, event, meta, enc, payload):
        return bytes([3, len(join_ref), len(ref), len(topic), len(event), len(meta), enc]) + join_ref + ref + topic + event + meta + payload

    write("phoenix-binary", "push-json", push(b"1", b"2", b"realtime:room", b"ev", b"", 1, b'{"x":1}'))
    write("phoenix-binary", "push-binary", push(b"1", b"", b"realtime:room", b"ev", b'{"m":true}', 0, bytes(range(16))))
    write("phoenix-binary", "broadcast", bytes([4, 4, 2, 0, 1]) + b"room" + b"ev" + b"\x00\x01\x02")


def pgoutput():
    def messages(name):
        out = []
        for line in (vectors / name).read_text().splitlines():
            text = line.split("#", 1)[0].strip()
            if text:
                out.append(bytes.fromhex(text))
        return out

    def pack(control, msgs):
        return bytes([control]) + b"".join(struct.pack(">H", len(m)) + m for m in msgs)

    write("pgoutput", "v1-text", pack(0x00, messages("v1-text.hex")))
    write("pgoutput", "v1-binary", pack(0x00, messages("v1-binary.hex")))
    stream = messages("v2-stream.hex")
    write("pgoutput", "v2-stream-head", pack(0x05, stream[:60]))
    write("pgoutput", "v2-stream-tail", pack(0x05, stream[-60:]))
    twophase = messages("v3-twophase.hex")
    write("pgoutput", "v3-twophase-head", pack(0x06, twophase[:60]))
    write("pgoutput", "v3-twophase-tail", pack(0x06, twophase[-60:]))
    write("pgoutput", "v4-parallel", pack(0x0b, stream[:30]))


def http_head():
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    base = (b"GET /realtime/v1/websocket?apikey=abc&vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:54321\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    write("http-head", "upgrade", b"\x00" + base)
    write("http-head", "upgrade-split3", b"\x02" + base)
    write("http-head", "upgrade-folded", b"\x05" + base.replace(b"Connection: Upgrade", b"connection:keep-alive, Upgrade\t"))
    write("http-head", "apikey-header", b"\x07" + base.replace(b"Host:", b"apikey: k\r\nHost:"))
    write("http-head", "other-path", b"\x01GET /storage/v1/object HTTP/1.1\r\nHost: x\r\n\r\n")
    write("http-head", "incomplete", b"\x03GET /realtime/v1/websocket HTTP/1.1\r\nHost: x\r\n")


def tus():
    seeds = [
        (0, "meta", b"filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential,contentType dGV4dC9wbGFpbg=="),
        (1, "checksum", b"sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
        (1, "checksum-crc32", b"crc32 AAAAAA=="),
        (2, "concat-final", b"final;/files/a /files/b"),
        (2, "concat-partial", b"partial"),
        (3, "offset", b"12345"),
        (4, "length", b"9223372036854775807"),
        (5, "defer", b"1"),
        (6, "expires", b"Wed, 25 Jun 2014 16:00:00 GMT"),
        (7, "resumable", b"1.0.0"),
        (8, "upload-id", base64.urlsafe_b64encode(b"bucket/folder/file.txt/0f8fad5b-d9cb-469f-a165-70867728950e").rstrip(b"=")),
    ]
    for selector, name, value in seeds:
        write("tus", name, bytes([selector]) + value)


def jwt():
    secret = b"fuzz-secret-fuzz-secret-fuzz-secret-0123"

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b'{"alg":"HS256","typ":"JWT"}'
    claims = b'{"role":"authenticated","sub":"0f8fad5b-d9cb-469f-a165-70867728950e","email":"a@b.c","exp":1893456000}'
    signed = b64(header) + b"." + b64(claims)
    token = signed + b"." + b64(hmac.new(secret, signed, hashlib.sha256).digest())
    write("jwt", "valid-token", b"\x00" + token)
    write("jwt", "bad-signature", b"\x00" + signed + b"." + b64(b"\x00" * 32))
    write("jwt", "alg-none", b"\x00" + b64(b'{"alg":"none"}') + b"." + b64(claims) + b".")
    write("jwt", "signed-claims", b"\x01" + header + b"\x00" + claims)
    write("jwt", "signed-expired", b"\x01" + header + b"\x00" + b'{"role":"anon","exp":1000}')
    write("jwt", "signed-other-alg", b"\x01" + b'{"typ":"JWT","alg":"HS512"}' + b"\x00" + b'{"role":"anon","exp":1.5e10}')


def filter_():
    for i, text in enumerate([b"id=eq.1", b"name=not.in.(a,\"b,c\",d)", b"flag=is.null", b"body=like.%25x_%",
                              b"ts=gte.2024-01-01T00:00:00Z", b"n=isdistinct.3"]):
        write("filter", f"filter-{i}", b"\x00" + text)
    write("filter", "regex", b"\x01^a(b|c){2,5}[^x-z]*\\d+$\x00abcc12")
    write("filter", "regex-i", b"\x05(?:fo+)?bar.\x00FOObar\n")
    write("filter", "compare-num", b"\x02\x001.5e3\x001500")
    write("filter", "compare-time", b"\x02\x062024-01-01\x002024-01-01T00:00:00+00:00")
    write("filter", "binding", b'\x03{"event":"INSERT","schema":"public","table":"todos","filter":"id=in.(1,2)"}')


def range_():
    for i, (size, header) in enumerate([(1000, b"bytes=0-99"), (1000, b"bytes=-5"), (1000, b"bytes=10-"),
                                        (0, b"bytes=0-0"), (2**62, b"bytes=9223372036854775806-"), (10, b"bytes=0-1,3-4")]):
        write("range", f"range-{i}", struct.pack(">Q", size) + header)


if __name__ == "__main__":
    shutil.rmtree(corpus, ignore_errors=True)
    websocket(); phoenix_json(); phoenix_binary(); pgoutput(); http_head(); tus(); jwt(); filter_(); range_()
    for folder in sorted(corpus.iterdir()):
        print(folder.name, len(list(folder.iterdir())))
