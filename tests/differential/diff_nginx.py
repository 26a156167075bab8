#!/usr/bin/env python3
"""Differential test of the courseware server's /content route against nginx's static module.

The caller (tests/api/differential.rs) runs the real server, uploads a package and
hands this script a map from each file on disk (under --root) to the signed URL path
the server serves it at. The script starts nginx (throwaway config, 127.0.0.1, a free
port) with --root as its document root, sends the same requests to both servers and
compares status, Content-Range, Content-Length, Content-Type (essence only: we add
charset=utf-8, nginx has `charset off`), Accept-Ranges (on 200) and the body bytes (multipart:
the parsed parts, not the boundary). Conditional requests use each server's own ETag
and Last-Modified.

Each observed response is also checked against a small model of the server that sent
it: `ours_model` restates RFC 9110 as media::serve implements it, `nginx_model`
restates nginx 1.22's ngx_http_not_modified_filter and ngx_http_range_filter. A
difference between the servers is "documented" when both servers match their models,
the first rule where the models part ways has a tag, and every such tag is a row of
docs/range-differences.md. Anything else is reported as UNEXPLAINED and makes the
script exit 1. Bytes of every 200/206 are checked against the file regardless.

With --accel (a second server over the same data with `accel_redirect_prefix =
"/_blobs"`) and --blobs (its blob store), nginx also fronts that server as
docs/x-accel-redirect.md configures it, and a set of requests through that front must
match our direct answers exactly (status, body, validators, Content-* headers).

Usage:
  python3 tests/differential/diff_nginx.py --ours http://127.0.0.1:PORT \
      --map map.json --root DIR [--accel http://127.0.0.1:PORT2 --blobs DIR]
      [--seed N] [--random N] [--verbose] [--keep]

map.json is a JSON object {"path/of/file": "/content/3/<token>/path/of/file", ...};
keys are paths relative to --root (absolute paths inside --root also work). The last
output line is `differential: N requests, M identical, K documented differences,
U unexplained`. Exit status: 0 when U is 0, 1 otherwise, 2 on a usage or setup error.
Python 3 standard library only.
"""

import argparse
import collections
import email.utils
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "..", "docs", "range-differences.md")
MERGE_GAP = 80
MAX_RANGES = 16
U64_MAX = 2**64 - 1
OFF_T_MAX = 2**63 - 1

# Extensions whose Content-Type differs on purpose (docs/range-differences.md).
CT_DIFFERENCES = {".js", ".vtt", ".m4a"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
        max_ranges {max_ranges};
        # RFC 9110 13.1.3 says "not modified if Last-Modified <= date";
        # nginx's default "exact" only accepts equality.
        if_modified_since before;
    }}
{accel}}}
"""

# X-Accel-Redirect front, configured as docs/x-accel-redirect.md says.
ACCEL_CONF = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
        }}
        location /_blobs/ {{
            internal;
            alias {blobs}/;
            etag off;
            if_modified_since off;
            add_header ETag $upstream_http_etag;
            add_header Last-Modified $upstream_http_last_modified;
            add_header X-Content-Type-Options nosniff;
        }}
    }}
"""


# ---------------------------------------------------------------- HTTP client


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def h(self, name):
        return self.headers.get(name.lower())


def fetch(addr, method, path, headers):
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=20)
    conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    hdrs = {}
    for k, v in r.getheaders():
        hdrs[k.lower()] = v if k.lower() not in hdrs else hdrs[k.lower()] + ", " + v
    conn.close()
    return Resp(r.status, hdrs, body)


def essence(ct):
    return (ct or "").split(";")[0].strip().lower()


def parse_multipart(ct, body):
    """Returns [(first, last, total, part content type essence, data)]."""
    boundary = ct.split("boundary=", 1)[1].strip().strip('"')
    delim = b"\r\n--" + boundary.encode()
    assert body.startswith(delim), "multipart body starts with CRLF--boundary"
    parts = []
    pos = 0
    while True:
        start = body.index(delim, pos) + len(delim)
        if body[start:start + 2] == b"--":
            return parts
        head_end = body.index(b"\r\n\r\n", start)
        headers = {}
        for line in body[start + 2:head_end].decode().split("\r\n"):
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        data_start = head_end + 4
        data_end = body.index(delim, data_start)
        first, last, total = parse_content_range(headers["content-range"])
        parts.append((first, last, total, essence(headers.get("content-type")),
                      body[data_start:data_end]))
        pos = data_end


def parse_content_range(v):
    unit, rest = v.split(" ", 1)
    assert unit == "bytes", v
    span, total = rest.split("/")
    if span == "*":
        return None, None, int(total)
    a, b = span.split("-")
    return int(a), int(b), int(total)


def observe(resp, method, data, problems, who):
    """Turns a response into a comparable outcome, checking its bytes on the way."""
    n = len(data)
    if resp.status == 200:
        if method == "GET" and resp.body != data:
            problems.append(f"{who}: 200 body differs from the file")
        if resp.h("content-length") != str(n):
            problems.append(f"{who}: 200 Content-Length {resp.h('content-length')} != {n}")
        return ("whole",)
    if resp.status == 206:
        ct = resp.h("content-type") or ""
        if ct.startswith("multipart/byteranges"):
            if method == "HEAD":
                return ("multi-head",)
            parts = parse_multipart(ct, resp.body)
            if resp.h("content-length") != str(len(resp.body)):
                problems.append(f"{who}: multipart Content-Length mismatch")
            for first, last, total, _, pdata in parts:
                if total != n or pdata != data[first:last + 1]:
                    problems.append(f"{who}: multipart part {first}-{last} has wrong bytes")
            return ("partial", tuple((p[0], p[1]) for p in parts))
        first, last, total = parse_content_range(resp.h("content-range"))
        if total != n:
            problems.append(f"{who}: Content-Range total {total} != {n}")
        if resp.h("content-length") != str(last - first + 1):
            problems.append(f"{who}: 206 Content-Length {resp.h('content-length')}")
        if method == "GET" and resp.body != data[first:last + 1]:
            problems.append(f"{who}: 206 body differs from file[{first}:{last + 1}]")
        return ("partial", ((first, last),))
    if resp.status == 416:
        if resp.h("content-range") != f"bytes */{n}":
            problems.append(f"{who}: 416 Content-Range {resp.h('content-range')}")
        return ("416",)
    if resp.status == 304:
        if resp.body:
            problems.append(f"{who}: 304 with a body")
        return ("304",)
    return (str(resp.status),)


def model_matches(model, obs, method):
    if obs == ("multi-head",):
        return model[0] == "partial" and len(model[1]) > 1 and method == "HEAD"
    return model == obs


# ---------------------------------------------------------------- models

OWS = " \t"
DIGITS = "0123456789"


def http_date(v):
    if v is None:
        return None
    try:
        t = email.utils.parsedate_to_datetime(v.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return None if t is None else int(t.timestamp())


def ours_digits(s):
    if not s or any(c not in DIGITS for c in s):
        return None
    return min(int(s), U64_MAX)


def ours_spec(el):
    if el.startswith("-"):
        n = ours_digits(el[1:].lstrip(OWS))
        return None if n is None else ("suffix", n)
    if "-" not in el:
        return None
    a, b = el.split("-", 1)
    first = ours_digits(a.rstrip(OWS))
    b = b.lstrip(OWS)
    if first is None:
        return None
    if b == "":
        return ("int", first, None)
    last = ours_digits(b)
    if last is None or last < first:
        return None
    return ("int", first, last)


def ours_ranges(value, n, tags):
    """Mirror of range::parse_range; returns 'whole', '416' or a list of (a, b)."""
    if "\t" in value:
        tags.add("tab-as-whitespace")
    if any(ord(c) > 0x7e for c in value):
        # HeaderValue::to_str fails on obs-text: the field is ignored.
        tags.add("invalid-range-ignored")
        return "whole"
    value = value.strip(OWS)
    if "=" not in value:
        return "whole"
    unit, rest = value.split("=", 1)
    if unit.lower() != "bytes":
        return "whole"
    specs = []
    for el in rest.split(","):
        el = el.strip(OWS)
        if not el:
            tags.add("empty-list-element")
            continue
        spec = ours_spec(el)
        if spec is None:
            tags.add("invalid-range-ignored")
            return "whole"
        specs.append(spec)
    if not specs:
        tags.add("invalid-range-ignored")
        return "whole"
    if any(s[1] > OFF_T_MAX or (s[0] == "int" and s[2] is not None and s[2] > OFF_T_MAX)
           for s in specs):
        tags.add("huge-number")
    if n == 0:
        if any(s[0] == "suffix" and s[1] > 0 for s in specs):
            return "whole"
        tags.add("empty-representation-416")
        return "416"
    resolved = []
    for s in specs:
        if s[0] == "int" and s[1] < n:
            resolved.append((s[1], n - 1 if s[2] is None else min(s[2], n - 1)))
        elif s[0] == "suffix" and s[1] > 0:
            resolved.append((max(n - s[1], 0), n - 1))
    if not resolved:
        return "416"
    order = sorted(range(len(resolved)), key=lambda i: resolved[i][0])
    merged = []
    for i in order:
        a, b = resolved[i]
        if merged and a <= merged[-1][1] + MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2] = min(merged[-1][2], i)
        else:
            merged.append([a, b, i])
    merged.sort(key=lambda m: m[2])
    out = [(a, b) for a, b, _ in merged]
    if out != resolved:
        tags.add("coalesced")
    if len(out) > MAX_RANGES:
        return "whole"
    return out


def ours_list_match(value, tag, weak):
    rest = value
    while True:
        rest = rest.lstrip(" \t,")
        if not rest:
            return False
        w = rest.startswith("W/")
        body = rest[2:] if w else rest
        if body.startswith('"') and '"' in body[1:]:
            end = body.index('"', 1) + 1
            t = ("W/" if w else "") + body[:end]
            if (weak and t.removeprefix("W/") == tag) or (not weak and not w and t == tag):
                return True
            rest = body[end:]
        else:
            rest = rest.split(",", 1)[1] if "," in rest else ""


def ours_model(hdrs, n, etag, lm, tags):
    if any(c < " " and c != "\t" or c == "\x7f" for v in hdrs.values() for c in v):
        # actix's parser (httparse) refuses field values with control characters.
        tags.add("ctl-in-field-rejected")
        return ("400",)
    im, inm = hdrs.get("if-match"), hdrs.get("if-none-match")
    ius, ims = hdrs.get("if-unmodified-since"), hdrs.get("if-modified-since")
    if im is not None:
        if not (im.strip() == "*" or ours_list_match(im, etag, weak=False)):
            return ("412",)
    elif ius is not None and http_date(ius) is not None and lm > http_date(ius):
        return ("412",)
    if inm is not None:
        if inm.strip() == "*" or ours_list_match(inm, etag, weak=True):
            return ("304",)
    elif ims is not None and http_date(ims) is not None and lm <= http_date(ims):
        return ("304",)
    rng = hdrs.get("range")
    if rng is None:
        return ("whole",)
    ir = hdrs.get("if-range")
    if ir is not None:
        ir = ir.strip(OWS)
        if ir.startswith('"') or ir.startswith("W/"):
            if ir != etag:
                return ("whole",)
        elif http_date(ir) != lm:
            return ("whole",)
    r = ours_ranges(rng, n, tags)
    if r == "whole":
        return ("whole",)
    if r == "416":
        return ("416",)
    return ("partial", tuple(r))


def nginx_test_if_match(value, etag, weak):
    if value == "*":
        return True
    if weak and etag.startswith("W/"):
        etag = etag[2:]
    s, i, end = value, 0, len(value)
    while i < end:
        if weak and end - i > 2 and s[i] == "W" and s[i + 1] == "/":
            i += 2
        if len(etag) > end - i:
            return False
        if s[i:i + len(etag)] == etag:
            j = i + len(etag)
            while j < end and s[j] in " \t":
                j += 1
            if j == end or s[j] == ",":
                return True
        while i < end and s[i] != ",":
            i += 1
        while i < end and s[i] in " \t,":
            i += 1
    return False


def nginx_ranges(value, n):
    if len(value) < 7 or value[:6].lower() != "bytes=":
        return "whole"
    p = value[6:] + "\0"
    i = 0
    size, ranges, out = 0, MAX_RANGES, []
    cutoff, cutlim = OFF_T_MAX // 10, OFF_T_MAX % 10
    while True:
        start = end = 0
        suffix = False
        while p[i] == " ":
            i += 1
        found = False
        if p[i] != "-":
            if p[i] not in DIGITS:
                return "416"
            while p[i] in DIGITS and p[i] != "\0":
                d = int(p[i])
                if start >= cutoff and (start > cutoff or d > cutlim):
                    return "416"
                start = start * 10 + d
                i += 1
            while p[i] == " ":
                i += 1
            if p[i] != "-":
                return "416"
            i += 1
            while p[i] == " ":
                i += 1
            if p[i] in (",", "\0"):
                end = n
                found = True
        else:
            suffix = True
            i += 1
        if not found:
            if p[i] not in DIGITS or p[i] == "\0":
                return "416"
            while p[i] in DIGITS and p[i] != "\0":
                d = int(p[i])
                if end >= cutoff and (end > cutoff or d > cutlim):
                    return "416"
                end = end * 10 + d
                i += 1
            while p[i] == " ":
                i += 1
            if p[i] not in (",", "\0"):
                return "416"
            if suffix:
                start = n - end if end < n else 0
                end = n - 1
            end = n if end >= n else end + 1
        if start < end:
            out.append((start, end - 1))
            size += end - start
            if ranges == 0:
                return "whole"
            ranges -= 1
        elif start == 0:
            return "whole"
        c = p[i]
        i += 1
        if c != ",":
            break
    if not out:
        return "416"
    if size > n:
        return "whole"
    return out


def nginx_model(hdrs, n, etag, lm):
    # nginx drops leading and trailing spaces (not tabs) from field values.
    hdrs = {k: v.strip(" ") for k, v in hdrs.items()}
    im, inm = hdrs.get("if-match"), hdrs.get("if-none-match")
    ius, ims = hdrs.get("if-unmodified-since"), hdrs.get("if-modified-since")
    if ius is not None:
        t = http_date(ius)
        if not (t is not None and t >= lm):
            return ("412",)
    if im is not None and not nginx_test_if_match(im, etag, weak=False):
        return ("412",)
    if ims is not None or inm is not None:
        modified = False
        if ims is not None:
            t = http_date(ims)
            modified = t is None or t < lm
        if not modified and inm is not None and not nginx_test_if_match(inm, etag, weak=True):
            modified = True
        if not modified:
            return ("304",)
    rng = hdrs.get("range")
    if rng is None:
        return ("whole",)
    ir = hdrs.get("if-range")
    if ir is not None:
        if len(ir) >= 2 and ir.endswith('"'):
            if ir != etag:
                return ("whole",)
        elif http_date(ir) != lm:
            return ("whole",)
    r = nginx_ranges(rng, n)
    if r == "whole":
        return ("whole",)
    if r == "416":
        return ("416",)
    return ("partial", tuple(r))


def condition_tags(hdrs, etag, lm):
    """Why the conditional steps of the two models may part ways."""
    tags = set()
    if "if-match" in hdrs and "if-unmodified-since" in hdrs:
        tags.add("if-match-overrides-ius")
    if "if-unmodified-since" in hdrs and http_date(hdrs["if-unmodified-since"]) is None:
        tags.add("invalid-ius-ignored")
    if "if-none-match" in hdrs and "if-modified-since" in hdrs:
        tags.add("inm-overrides-ims")
    return tags


# ---------------------------------------------------------------- cases


def fixed_cases(n):
    """(method, [(header, value)]) with {etag}, {weak}, {lm}, {lm+1}, {lm-1} placeholders."""
    r = lambda v: [("Range", v)]  # noqa: E731
    cases = [[], r("bytes=0-0"), r("bytes=0-499"), r("bytes=-500"), r("bytes=9500-"),
             r("bytes=0-"), r(f"bytes=-{2 * n + 5}"), r(f"bytes={n}-"), r(f"bytes={n + 100}-"),
             r(f"bytes=0-{3 * n + 7}"), r("bytes=-0"), r("bytes=-1"), r("bytes=1-"),
             r("bytes=0-9,20-29"), r("bytes=0-9,200-209"), r("bytes=500-599,0-99"),
             r("bytes=0-99,50-149"), r("bytes=0-,0-"), r("bytes=-5,0-4"),
             r(",".join(f"{i * 300}-{i * 300}" for i in range(17)).join(["bytes=", ""])),
             r(",".join(f"{i * 300}-{i * 300}" for i in range(16)).join(["bytes=", ""])),
             r(f"bytes={n + 5}-,0-1"), r("items=0-1"), r("bytes=abc"), r("bytes="),
             r("bytes=5-2"), r("bytes=5-2,0-9"), r("bytes=0-1,x"), r("bytes=--5"),
             r("bytes= 0-9 , 300-309"), r("bytes=0 - 9"), r("Bytes=0-9"), r("bytes=,0-9"),
             r("bytes=0-9,,300-309"), r("bytes=99999999999999999999-"),
             r("bytes=0-99999999999999999999"), r("bytes=-99999999999999999999"),
             r("bytes=0-1\t"), r("bytes =0-1"),
             [("If-None-Match", "{etag}")], [("If-None-Match", "{weak}")],
             [("If-None-Match", '"nope", {etag}')], [("If-None-Match", "*")],
             [("If-None-Match", '"nope"')], [("If-None-Match", "{etag}"), ("Range", "bytes=0-9")],
             [("If-Match", '"nope"')], [("If-Match", "*")], [("If-Match", "{etag}")],
             [("If-Match", "{weak}")], [("If-Match", '"nope"'), ("Range", "bytes=0-9")],
             [("If-Unmodified-Since", "{lm-1}")], [("If-Unmodified-Since", "{lm}")],
             [("If-Unmodified-Since", "{lm+1}")], [("If-Unmodified-Since", "garbage")],
             [("If-Modified-Since", "{lm}")], [("If-Modified-Since", "{lm+1}")],
             [("If-Modified-Since", "{lm-1}")], [("If-Modified-Since", "garbage")],
             [("If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT")],
             [("If-Modified-Since", "Sun Nov  6 08:49:37 1994")],
             [("If-Match", "{etag}"), ("If-Unmodified-Since", "{lm-1}")],
             [("If-None-Match", "{etag}"), ("If-Modified-Since", "{lm-1}")],
             [("If-None-Match", '"nope"'), ("If-Modified-Since", "{lm+1}")],
             [("Range", "bytes=0-9"), ("If-Range", "{etag}")],
             [("Range", "bytes=0-9"), ("If-Range", '"nope"')],
             [("Range", "bytes=0-9"), ("If-Range", "{weak}")],
             [("Range", "bytes=0-9"), ("If-Range", "{lm}")],
             [("Range", "bytes=0-9"), ("If-Range", "{lm+1}")],
             [("Range", "bytes=0-9"), ("If-Range", "{lm-1}")],
             [("Range", "bytes=0-9"), ("If-Range", "garbage")],
             [("Range", "bytes=0-9,300-309"), ("If-Range", "{etag}")],
             [("If-Range", "{etag}")]]
    out = [("GET", c) for c in cases]
    out += [("HEAD", c) for c in cases[:24]]
    return out


def random_spec(rng, n):
    big = max(n, 1)
    kind = rng.random()
    if kind < 0.35:
        a = rng.randrange(0, big + 20)
        return f"{a}-{a + rng.randrange(0, big // 3 + 5)}"
    if kind < 0.5:
        return f"{rng.randrange(0, big + 20)}-"
    if kind < 0.65:
        return f"-{rng.randrange(0, big + 20)}"
    if kind < 0.75:
        a = rng.randrange(0, big)
        return f"{a}-{a + rng.randrange(0, 100)}"
    if kind < 0.82:
        return rng.choice(["", " ", "x", "5-2", "1-2-3", "-", "0x1-", " 3 - 4 ", "\t7-"])
    a = rng.randrange(0, big)
    return f"{a}-{a + rng.randrange(0, 10)}"


def random_cases(rng, n, count):
    out = []
    for _ in range(count):
        specs = [random_spec(rng, n) for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 6]))]
        unit = rng.choice(["bytes"] * 12 + ["Bytes", "items"])
        hdrs = [("Range", f"{unit}={','.join(specs)}")]
        roll = rng.random()
        if roll < 0.1:
            hdrs.append(("If-Range", "{etag}"))
        elif roll < 0.15:
            hdrs.append(("If-Range", '"stale"'))
        out.append((rng.choice(["GET"] * 5 + ["HEAD"]), hdrs))
    return out


def substitute(hdrs, etag, lm):
    subs = {"{etag}": etag, "{weak}": "W/" + etag,
            "{lm}": email.utils.formatdate(lm, usegmt=True),
            "{lm+1}": email.utils.formatdate(lm + 1, usegmt=True),
            "{lm-1}": email.utils.formatdate(lm - 1, usegmt=True)}
    out = []
    for k, v in hdrs:
        for key, val in subs.items():
            v = v.replace(key, val)
        out.append((k, v))
    return out




# ---------------------------------------------------------------- extra cases

def bad_header_cases(n):
    """Malformed or unusual header fields beyond the Range grammar of fixed_cases."""
    many = ",".join(["0-0"] * 40)
    spread = ",".join(f"{i * 200}-{i * 200}" for i in range(300))
    cases = [
        [("Range", "bytes=0-0"), ("Range", "bytes=5-9")],   # two Range field lines
        [("Range", "bytes=0-1\xff")],                        # obs-text in the value
        [("Range", "bytes=\x010-1")],                        # a control character
        [("Range", "")],
        [("Range", "bytes=0-9   ")],
        [("Range", "bytes=" + many)],
        [("Range", "bytes=" + spread)],
        [("Range", "bytes=0-0,-1,1-1")],
        [("If-None-Match", "")], [("If-Match", "")],
        [("If-None-Match", "no-quotes")], [("If-Match", "no-quotes")],
        [("If-None-Match", '"unterminated')],
        [("If-None-Match", " {etag} ")], [("If-Match", '"nope" , {etag}')],
        [("If-Modified-Since", "")], [("If-Unmodified-Since", "")],
        [("Range", "bytes=0-9"), ("If-Range", "")],
        [("Range", "bytes=0-9"), ("If-Range", " {etag}")],
        [("Range", "bytes=0-9"), ("If-Range", "W/{etag}")],
    ]
    return [(m, c) for c in cases for m in ("GET", "HEAD")]


# ---------------------------------------------------------------- main


def documented_tags(path):
    """Tags in the first column of the tables of docs/range-differences.md."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SystemExit(f"cannot read {path}: {e}")
    return set(re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", text, re.M))


def load_map(path, root):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, dict) or not raw:
        raise SystemExit(f"{path}: expected a non-empty JSON object of file -> URL path")
    root = os.path.realpath(root)
    files = []
    for disk, url in sorted(raw.items()):
        full = os.path.realpath(disk if os.path.isabs(disk) else os.path.join(root, disk))
        rel = os.path.relpath(full, root)
        if rel.startswith(".."):
            raise SystemExit(f"{disk} is not under --root {root}")
        if not url.startswith("/"):
            raise SystemExit(f"{disk}: our URL must be a path starting with /, not {url!r}")
        with open(full, "rb") as f:
            data = f.read()
        nginx_path = "/" + urllib.parse.quote(rel.replace(os.sep, "/"))
        files.append((rel, data, url, nginx_path))
    return files


def start(cmd, port, log):
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc


def run(args):
    ours = urllib.parse.urlsplit(args.ours)
    if ours.scheme != "http" or not ours.hostname or not ours.port:
        raise SystemExit(f"--ours must look like http://127.0.0.1:PORT, not {args.ours}")
    nginx_bin = args.nginx or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx_bin, os.X_OK):
        raise SystemExit(f"nginx not found ({nginx_bin}); apt-get install nginx-light")
    files = load_map(args.map, args.root)
    tags_in_docs = documented_tags(args.docs)
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="diff-nginx-")
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, d))
    nginx_port = free_port()
    accel_port = free_port()
    accel = ""
    if args.accel:
        up = urllib.parse.urlsplit(args.accel)
        if up.scheme != "http" or not up.hostname or not up.port or not args.blobs:
            raise SystemExit("--accel must look like http://127.0.0.1:PORT and needs --blobs")
        accel = ACCEL_CONF.format(port=accel_port, upstream=f"{up.hostname}:{up.port}",
                                  blobs=os.path.realpath(args.blobs))
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, root=os.path.realpath(args.root), port=nginx_port,
                                  max_ranges=MAX_RANGES, accel=accel))
    log = open(os.path.join(tmp, "nginx.log"), "w")
    proc = None
    try:
        proc = start([nginx_bin, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")], nginx_port, log)
        addrs = {"ours": (ours.hostname, ours.port), "nginx": ("127.0.0.1", nginx_port),
                 "accel_front": ("127.0.0.1", accel_port)}
        if args.accel:
            addrs["accel_up"] = (up.hostname, up.port)
        counts = compare_all(args, rng, files, addrs, tags_in_docs)
        if args.accel:
            counts = [a + b for a, b in zip(counts, compare_accel(files, addrs))]
        total, same, documented, unexplained = counts
        print(f"differential: {total} requests, {same} identical, {documented} "
              f"documented differences, {unexplained} unexplained")
        ok = unexplained == 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        log.close()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp)
    return 0 if ok else 1


def validators(addr, path):
    """(ETag, Last-Modified as unix seconds, Content-Type) of a HEAD without conditions."""
    r = fetch(addr, "HEAD", path, [])
    if r.status != 200:
        raise SystemExit(f"HEAD {path} on {addr[0]}:{addr[1]} answered {r.status}, not 200")
    return r.h("etag"), http_date(r.h("last-modified")), r.h("content-type")


def multipart_length(boundary, content_type, ranges, n):
    """Length of the multipart/byteranges body both servers lay out (RFC 9110 14.6)."""
    total = len(f"\r\n--{boundary}--\r\n")
    for a, b in ranges:
        total += len(f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n"
                     f"Content-Range: bytes {a}-{b}/{n}\r\n\r\n") + b - a + 1
    return total


def check_multipart_head(resp, model, content_type, n, problems, who):
    """A HEAD multipart has no body to compare (and the boundaries differ in length):
    check its Content-Length against the GET body its own boundary would give."""
    boundary = resp.h("content-type").split("boundary=", 1)[1].strip().strip('"')
    want = multipart_length(boundary, content_type, model[1], n)
    if resp.h("content-length") != str(want):
        problems.append(f"{who}: HEAD multipart Content-Length {resp.h('content-length')}, "
                        f"the GET body would have {want} bytes")


def first_values(hdrs):
    """Header name (lower case) -> first value, and how many field lines each had."""
    low, counts = {}, collections.Counter()
    for k, v in hdrs:
        counts[k.lower()] += 1
        low.setdefault(k.lower(), v)
    return low, counts


def compare_all(args, rng, files, addrs, tags_in_docs):
    total, same = 0, 0
    explained = collections.Counter()
    examples = {}
    unexplained = []
    for name, body, our_path, nginx_path in files:
        n = len(body)
        paths = {"ours": our_path, "nginx": nginx_path}
        vals = {who: validators(addrs[who], paths[who]) for who in ("ours", "nginx")}
        cases = fixed_cases(n) + bad_header_cases(n) + random_cases(rng, n, args.random)
        for method, raw in cases:
            total += 1
            problems = []
            res, obs, mod, tags = {}, {}, {}, set()
            for who in ("ours", "nginx"):
                etag, lm, _ = vals[who]
                hdrs = substitute(raw, etag, lm)
                res[who] = fetch(addrs[who], method, paths[who], hdrs)
                obs[who] = observe(res[who], method, body, problems, who)
                low, counts = first_values(hdrs)
                if who == "ours":
                    if counts["range"] > 1:
                        # Several Range lines are not one valid field (RFC 9110 5.3):
                        # ignored (plan() in src/media/mod.rs).
                        tags.add("duplicate-range-ignored")
                        low.pop("range")
                    mod[who] = ours_model(low, n, etag, lm, tags)
                    tags |= condition_tags(low, etag, lm)
                else:
                    # nginx 1.22 keeps the first Range line (ngx_http_process_header_line).
                    mod[who] = nginx_model(low, n, etag, lm)
            for who in ("ours", "nginx"):
                if not model_matches(mod[who], obs[who], method):
                    problems.append(f"{who} sent {obs[who]}, its model says {mod[who]}")
                elif obs[who] == ("multi-head",):
                    check_multipart_head(res[who], mod[who], vals[who][2], n, problems, who)
            diffs = field_diffs(res, obs, name)
            key = f"{method} {name} {raw!r}"
            if problems:
                unexplained.append((key, problems, obs))
                continue
            if not diffs:
                same += 1
                continue
            ct_only = diffs == ["content-type"]
            if ct_only and os.path.splitext(name)[1] in CT_DIFFERENCES:
                tag = "content-type-mapping"
            elif "status/outcome" in diffs and tags:
                tag = "+".join(sorted(tags))
            else:
                unexplained.append((key, [f"differs in {diffs}, no rule explains it"], obs))
                continue
            missing = [t for t in tag.split("+") if t not in tags_in_docs]
            if missing:
                unexplained.append((key, [f"tag(s) {missing} are not in {args.docs}"], obs))
                continue
            explained[tag] += 1
            examples.setdefault(tag, (key, obs["ours"], obs["nginx"]))
    for tag, count in sorted(explained.items()):
        key, o, ng = examples[tag]
        print(f"  {count:4d} x {tag}\n         e.g. {short(key)}\n         ours {short(o)}  nginx {short(ng)}")
    for key, problems, obs in unexplained[: (None if args.verbose else 30)]:
        print(f"  UNEXPLAINED {short(key)}: {problems}; ours {short(obs['ours'])} nginx {short(obs['nginx'])}")
    print(f"direct: {total} request pairs (ours vs nginx), {same} identical, "
          f"{sum(explained.values())} documented differences, {len(unexplained)} unexplained")
    return [total, same, sum(explained.values()), len(unexplained)]


def compare_accel(files, addrs):
    """Through nginx with X-Accel-Redirect vs streamed by us: same bytes and validators.

    nginx applies its own range rules in accel mode, so a Range on an empty file (ours
    416, nginx 200: `empty-representation-416`) is the one expected difference; the
    cases are otherwise single ranges that both grammars read alike."""
    failures, documented, count = 0, 0, 0
    for name, body, our_path, _ in files:
        # The upstream itself must answer with X-Accel-Redirect and no body, or the
        # front would merely proxy our own bytes and prove nothing.
        direct = fetch(addrs["accel_up"], "GET", our_path, [])
        if not (direct.status == 200 and direct.h("x-accel-redirect") and not direct.body):
            failures += 1
            print(f"  UNEXPLAINED accel upstream GET {name}: status {direct.status}, "
                  f"X-Accel-Redirect {direct.h('x-accel-redirect')!r}, {len(direct.body)} body bytes")
        etag, lm, _ = validators(addrs["ours"], our_path)
        lm_date = email.utils.formatdate(lm, usegmt=True)
        cases = [[], [("Range", "bytes=0-0")], [("Range", "bytes=-1")], [("Range", "bytes=1-")],
                 [("Range", f"bytes={len(body) + 10}-")],
                 [("If-None-Match", etag)], [("If-Modified-Since", lm_date)],
                 [("If-None-Match", '"nope"')],
                 [("If-Match", etag)], [("If-Match", '"nope"')],
                 [("If-Unmodified-Since", lm_date)],
                 [("Range", "bytes=0-0"), ("If-Range", etag)],
                 [("Range", "bytes=0-0"), ("If-Range", '"nope"')]]
        for hdrs in cases:
            for method in ("GET", "HEAD"):
                count += 1
                a = fetch(addrs["ours"], method, our_path, hdrs)
                b = fetch(addrs["accel_front"], method, our_path, hdrs)
                fields = ["etag", "last-modified", "cache-control", "content-disposition",
                          "content-range", "content-length", "x-content-type-options"]
                if a.status == 304:
                    fields = ["etag", "cache-control"]  # nginx adds Last-Modified to 304s
                if a.status in (412, 416):
                    fields = ["content-range"]  # nginx sends an HTML error page
                bad = [f"{f} {a.h(f)!r}/{b.h(f)!r}" for f in fields if a.h(f) != b.h(f)]
                if a.status != b.status:
                    bad.append(f"status {a.status}/{b.status}")
                if a.status in (200, 206) and a.body != b.body:
                    bad.append("body")
                if a.status in (200, 206) and essence(a.h("content-type")) != essence(b.h("content-type")):
                    bad.append(f"content-type {a.h('content-type')}/{b.h('content-type')}")
                if b.h("x-accel-redirect"):
                    bad.append("x-accel-redirect leaked")
                empty_range = len(body) == 0 and hdrs and hdrs[0][0] == "Range"
                if bad and empty_range:
                    documented += 1
                elif bad:
                    failures += 1
                    print(f"  UNEXPLAINED accel {method} {name} {hdrs}: {bad}")
    same = count - failures - documented
    print(f"accel: {count} request pairs (nginx X-Accel-Redirect front vs direct), {same} "
          f"identical, {documented} documented differences, {failures} unexplained")
    return [count, same, documented, failures]


def short(v, limit=300):
    s = str(v)
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} chars)"


def field_diffs(res, obs, name):
    o, g = res["ours"], res["nginx"]
    diffs = []
    if obs["ours"] != obs["nginx"]:
        diffs.append("status/outcome")
        return diffs
    # Accept-Ranges only on 200: nginx leaves it out of 206 responses, we send it on
    # both (RFC 9110 14.3 allows it in any response).
    if o.status == 200 and o.h("accept-ranges") != g.h("accept-ranges"):
        diffs.append("accept-ranges")
    if o.status in (200, 206) and not (o.h("content-type") or "").startswith("multipart/"):
        if o.h("content-range") != g.h("content-range"):
            diffs.append("content-range")
        if o.h("content-length") != g.h("content-length"):
            diffs.append("content-length")
        if o.body != g.body:
            diffs.append("body")
        if essence(o.h("content-type")) != essence(g.h("content-type")):
            diffs.append("content-type")
    elif o.status == 206 and o.body:
        po = parse_multipart(o.h("content-type"), o.body)
        pg = parse_multipart(g.h("content-type"), g.body)
        if [p[:3] + p[4:] for p in po] != [p[:3] + p[4:] for p in pg]:
            diffs.append("multipart parts")
        if [p[3] for p in po] != [p[3] for p in pg]:
            diffs.append("content-type")
    elif o.status == 416 and o.h("content-range") != g.h("content-range"):
        diffs.append("content-range")
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="base URL of the courseware server")
    ap.add_argument("--map", required=True, help="JSON object: file under --root -> our URL path")
    ap.add_argument("--root", required=True, help="folder holding the files; nginx's root")
    ap.add_argument("--accel", help="base URL of a second server over the same data in accel mode")
    ap.add_argument("--blobs", help="its blob store folder (the internal location's alias)")
    ap.add_argument("--nginx", help="nginx binary (default: nginx on PATH, else /usr/sbin/nginx)")
    ap.add_argument("--docs", default=DOCS, help="the documented differences (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--random", type=int, default=40, help="random range requests per file")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir and nginx's log")
    try:
        sys.exit(run(ap.parse_args()))
    except SystemExit as e:
        if isinstance(e.code, str):
            print(f"diff_nginx: {e.code}", file=sys.stderr)
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
