#!/usr/bin/env python3
"""Writes the PNG graph snapshots the sample export shares, deterministically, with the Python
standard library only (a tiny line-chart rasteriser and a PNG encoder; no fonts, no PIL).

Outputs (run from the repository root; `python3 scripts/sample_logs.py` calls this too):
  sample-logs/slack/__uploads/<FILE_ID>/<name>.png   files attached to messages (slackdump layout)
  sample-logs/slack/snapshots/<name>.png (+ .json)   a standalone snapshot folder with sidecars

Each graph is a plausible metric over the incident window: the API cache latency spike on
12 January, the 5xx rate, and the replica lag on 17 January.
"""

import json
import math
import os
import struct
import sys
import zlib

W, H = 720, 300
BG = (255, 255, 255)
GRID = (228, 232, 238)
AXIS = (150, 158, 170)
COLORS = [(47, 111, 237), (198, 40, 40), (46, 139, 87)]


def png(width, height, pixels):
    """Encodes RGB rows as a PNG (filter 0 on every row, deterministic zlib level 9)."""
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def text_chunk(png_bytes, key, value):
    """Inserts a tEXt chunk after IHDR (PNG text chunks are a documented sidecar alternative)."""
    data = key.encode("latin-1") + b"\x00" + value.encode("latin-1")
    body = b"tEXt" + data
    chunk = struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    at = 8 + 25  # signature + IHDR chunk
    return png_bytes[:at] + chunk + png_bytes[at:]


def chart(series):
    """Rasterises series (lists of floats, same length) into an RGB canvas."""
    canvas = [[list(BG) for _ in range(W)] for _ in range(H)]
    left, right, top, bottom = 40, W - 15, 15, H - 30
    lo = 0.0
    hi = max(max(s) for s in series) * 1.1 or 1.0
    for i in range(5):
        y = top + (bottom - top) * i // 4
        for x in range(left, right):
            canvas[y][x] = list(GRID)
    for y in range(top, bottom + 1):
        canvas[y][left] = list(AXIS)
    for x in range(left, right):
        canvas[bottom][x] = list(AXIS)

    def plot(x, y, color):
        for dx in (0, 1):
            for dy in (0, 1):
                if 0 <= x + dx < W and 0 <= y + dy < H:
                    canvas[y + dy][x + dx] = list(color)

    for s, color in zip(series, COLORS):
        n = len(s)
        points = [
            (left + (right - left) * i // (n - 1), int(bottom - (bottom - top) * (v - lo) / (hi - lo)))
            for i, v in enumerate(s)
        ]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            steps = max(abs(x1 - x0), abs(y1 - y0), 1)
            for k in range(steps + 1):
                plot(x0 + (x1 - x0) * k // steps, y0 + (y1 - y0) * k // steps, color)
    return canvas


def spike(n, base, peak, start, end, noise):
    out = []
    for i in range(n):
        wobble = noise * math.sin(i * 1.7) * math.cos(i * 0.31)
        value = base + wobble
        if start <= i < end:
            rise = min(1.0, (i - start + 1) / 2)
            value = base + (peak - base) * rise + wobble * 3
        out.append(max(0.0, value))
    return out


# file id, name, title, series
ATTACHED = [
    ("F024BE9G1", "mget-time-p99.png", "api.cache.metrics.mget.time p99, metrics-web-prod-513 and -514",
     [spike(90, 35, 2300, 30, 52, 6), spike(90, 33, 1990, 31, 51, 5)]),
    ("F024BE9G2", "api-5xx-rate.png", "API 5xx rate by host",
     [spike(90, 0.1, 2.4, 31, 51, 0.05), spike(90, 0.1, 0.2, 31, 51, 0.03)]),
    ("F024BE9G3", "replication-lag.png", "postgres.replication.lag_seconds, db-rr16 and db-rr18",
     [spike(120, 3, 1900, 20, 120, 1), spike(120, 0, 0, 0, 0, 0)[:60] + spike(60, 2, 2400, 0, 22, 1)[:60]]),
]

# Standalone snapshots: name, sidecar (or None to use a PNG text chunk), series.
STANDALONE = [
    ("2014-01-17T1730-read-replica-load.png",
     {"channel": "ops", "time": "2014-01-17T17:30:00Z", "title": "Read replica load after removing rr16 (rr14, rr15, rr17)",
      "link": "https://metrics.librato.com/s/spaces/replicas?duration=3600", "author": "peter"},
     [spike(60, 35, 48, 20, 60, 1.5), spike(60, 34, 47, 20, 60, 1.2), spike(60, 36, 49, 20, 60, 1.0)]),
    # Metadata in PNG text chunks instead of a sidecar.
    ("2014-01-12T0745-memcached-mget-after.png", None, [spike(60, 30, 1900, 0, 25, 5)]),
    # The same picture as an attached one, byte for byte: stored once on the site.
    ("mget-time-p99-copy.png",
     {"channel": "ops", "time": "2014-01-12T07:36:00Z", "title": "api.cache.metrics.mget.time p99 (exported again)"},
     None),
]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("sample-logs", "slack")
    written = {}
    for file_id, name, title, series in ATTACHED:
        data = png(W, H, chart(series))
        path = os.path.join(root, "__uploads", file_id, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        written[name] = data
    snapshots = os.path.join(root, "snapshots")
    os.makedirs(snapshots, exist_ok=True)
    for name, sidecar, series in STANDALONE:
        if series is None:
            data = written["mget-time-p99.png"]
        else:
            data = png(W, H, chart(series))
        if sidecar is None:
            for key, value in [("Title", "memcached mget latency back to normal after the partition"),
                               ("Channel", "ops"), ("Time", "2014-01-12T07:45:00Z"),
                               ("Link", "https://metrics.librato.com/s/spaces/cache?duration=1800")]:
                data = text_chunk(data, key, value)
        with open(os.path.join(snapshots, name), "wb") as f:
            f.write(data)
        if sidecar:
            with open(os.path.join(snapshots, name[: -len(".png")] + ".json"), "w") as f:
                json.dump(sidecar, f, indent=2)
                f.write("\n")
    print(f"wrote {len(ATTACHED)} attached graphs and {len(STANDALONE)} standalone snapshots under {root}")


if __name__ == "__main__":
    main()
