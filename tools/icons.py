#!/usr/bin/env python3
"""Draws the extension icons (extension/icons/icon-{16,32,48,128}.png) with no dependencies:
a green rounded square with a white chat bubble and an injection caret. Run it after changing
the design; the PNGs are committed."""
import math, os, struct, zlib

def png(path, size, pixels):
    raw = b"".join(b"\x00" + bytes(pixels[y * size * 4:(y + 1) * size * 4]) for y in range(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

def inside_rounded(x, y, r):
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

def shade(x, y):
    """Colour of the unit square at (x, y), or None outside the icon."""
    if not inside_rounded(x, y, 0.22):
        return None
    # bubble: ellipse with a tail at the lower left
    bx, by = (x - 0.5) / 0.32, (y - 0.46) / 0.25
    tail = 0.24 <= x <= 0.42 and 0.62 <= y <= 0.80 and (x - 0.24) >= (y - 0.62) * 0.9 and y - 0.62 <= (0.42 - x) * 1.2
    if bx * bx + by * by <= 1 or tail:
        # the caret "›" inside the bubble, in the background colour
        if abs((0.56 - x) - abs(y - 0.46) * 0.9) < 0.045 and abs(y - 0.46) < 0.11:
            return (18, 140, 84)
        return (255, 255, 255)
    t = y
    return (int(30 + 10 * t), int(170 - 40 * t), int(100 - 20 * t))

def draw(size, samples=4):
    px = []
    for j in range(size):
        for i in range(size):
            acc, hits = [0, 0, 0], 0
            for sj in range(samples):
                for si in range(samples):
                    c = shade((i + (si + 0.5) / samples) / size, (j + (sj + 0.5) / samples) / size)
                    if c:
                        hits += 1
                        for k in range(3):
                            acc[k] += c[k]
            a = hits / (samples * samples)
            px += [acc[k] // hits if hits else 0 for k in range(3)] + [int(round(a * 255))]
    return px

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "extension", "icons")
os.makedirs(out, exist_ok=True)
for size in (16, 32, 48, 128):
    png(os.path.join(out, f"icon-{size}.png"), size, draw(size))
