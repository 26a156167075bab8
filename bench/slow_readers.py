#!/usr/bin/env python3
"""Many slow readers for bench/range.sh: N connections each GET one URL and read it at
about RATE bytes per second for SECONDS, then hang up. Loopback only; stops by itself.

While they read, a probe sends a plain 4 KiB range request every second on a fresh
connection, to show whether the server still answers others promptly.

Usage: slow_readers.py HOST PORT PATH [--clients 1000] [--seconds 15] [--rate 1024]
Prints one RESULT line: connected, bytes read, probe latencies. Python 3 stdlib only.
"""

import argparse
import asyncio
import socket
import sys
import time


async def slow_reader(host, port, path, rate, until, stats):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small receive window, so the server's writes stall instead of filling megabytes
    # of kernel buffers on our side.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=rate)
    except OSError as e:
        stats["failed"] += 1
        stats["errors"].add(str(e))
        sock.close()
        return
    stats["connected"] += 1
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    try:
        while time.monotonic() < until:
            chunk = await asyncio.wait_for(reader.read(rate), timeout=max(0.1, until - time.monotonic()))
            if not chunk:
                stats["closed_early"] += 1
                break
            if not head:
                head = chunk[:16]
                if not head.startswith((b"HTTP/1.1 200 ", b"HTTP/1.1 206 ")):
                    stats["bad_status"] += 1
            stats["bytes"] += len(chunk)
            await asyncio.sleep(1.0)
    except asyncio.TimeoutError:
        pass
    except OSError as e:
        stats["errors"].add(str(e))
        stats["closed_early"] += 1
    finally:
        writer.close()


async def probe(host, port, path, until, latencies):
    """One 4 KiB range request per second on a new connection; latency in ms."""
    while time.monotonic() < until - 1:
        await asyncio.sleep(1.0)
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nRange: bytes=0-4095\r\n"
                         f"Connection: close\r\n\r\n".encode())
            data = await asyncio.wait_for(reader.read(-1), 10)
            writer.close()
            ok = b" 206 " in data[:16] and len(data) > 4096
            latencies.append((time.monotonic() - started) * 1000 if ok else float("inf"))
        except (OSError, asyncio.TimeoutError):
            latencies.append(float("inf"))


async def main(args):
    stats = {"connected": 0, "failed": 0, "closed_early": 0, "bad_status": 0, "bytes": 0,
             "errors": set()}
    until = time.monotonic() + args.seconds
    latencies = []
    tasks = []
    for _ in range(args.clients):
        tasks.append(asyncio.create_task(slow_reader(args.host, args.port, args.path, args.rate,
                                                     until, stats)))
        await asyncio.sleep(0)  # spread the connects a little
    tasks.append(asyncio.create_task(probe(args.host, args.port, args.path, until, latencies)))
    await asyncio.gather(*tasks)
    lat = sorted(latencies)
    worst = f"{lat[-1]:.1f}" if lat else "n/a"
    median = f"{lat[len(lat) // 2]:.1f}" if lat else "n/a"
    print(f"RESULT clients={args.clients} connected={stats['connected']} failed={stats['failed']} "
          f"closed_early={stats['closed_early']} bad_status={stats['bad_status']} "
          f"bytes={stats['bytes']} probe_median_ms={median} probe_max_ms={worst} probes={len(lat)}")
    if stats["errors"]:
        print("errors: " + "; ".join(sorted(stats["errors"])[:5]), file=sys.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--rate", type=int, default=1024, help="bytes read per second per client")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("slow_readers.py only talks to loopback")
    asyncio.run(main(args))
