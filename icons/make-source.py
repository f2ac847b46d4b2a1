"""Draws Vetter's source icon (a magnifier over a diff bar) as a 1024x1024 PNG, with no image
library, so the icon set can be regenerated with `tauri icon icons/source.png`."""
import math
import struct
import sys
import zlib

N = 1024


def pixel(x, y):
    # Rounded square background.
    r = 180
    cx, cy = min(max(x, r), N - 1 - r), min(max(y, r), N - 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    bg = (24, 54, 96, 255)
    # Diff bars: green (added) and red (removed) lines on the left.
    for i, col in enumerate([(220, 80, 80), (80, 190, 110), (80, 190, 110), (220, 80, 80)]):
        top = 250 + i * 110
        if 180 <= x <= 560 - i * 40 and top <= y <= top + 50:
            return col + (255,)
    # Magnifier ring and handle.
    d = math.hypot(x - 600, y - 520)
    if 170 <= d <= 225:
        return (240, 240, 240, 255)
    t = ((x - 600) + (y - 520)) / 2
    if 180 <= t <= 420 and abs((x - 600) - (y - 520)) <= 60:
        return (240, 240, 240, 255)
    return bg


def main(path):
    raw = bytearray()
    for y in range(N):
        raw.append(0)
        for x in range(N):
            raw.extend(pixel(x, y))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "icons/source.png")
