"""The app's icons (static/img/icon-*.png) drawn in pure Python: two stacked paper cards on arXiv red.

Run once when the design changes: `python scripts/make_icons.py`. The maskable icon fills its square, with
the cards inside the central 80 % that every platform's mask keeps.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

RED = (179, 27, 27)
WHITE = (255, 255, 255)
SHADE = (240, 214, 214)
OUT = Path(__file__).resolve().parent.parent / "static" / "img"
SAMPLES = 4  # per side: 16 samples a pixel smooth the edges


def in_rounded(x: float, y: float, box: tuple[float, float, float, float], radius: float) -> bool:
    left, top, right, bottom = box
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def draw(size: int, *, maskable: bool) -> bytes:
    scale = 0.8 if maskable else 1.0  # the cards stay in the safe zone of a maskable icon
    pad = (1 - scale) / 2

    def at(fraction: float) -> float:
        return (pad + fraction * scale) * size

    back = (at(0.30), at(0.16), at(0.80), at(0.74))
    front = (at(0.20), at(0.26), at(0.70), at(0.84))
    lines = [(at(0.28), at(0.38 + 0.1 * i), at(0.62 - 0.08 * (i == 3)), at(0.43 + 0.1 * i)) for i in range(4)]
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            colour = [0.0, 0.0, 0.0]
            alpha = 0.0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x, y = px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES
                    if not maskable and not in_rounded(x, y, (0, 0, size, size), size * 0.22):
                        continue
                    rgb = RED
                    if in_rounded(x, y, front, size * 0.04):
                        rgb = RED if any(in_rounded(x, y, line, size * 0.012) for line in lines) else WHITE
                    elif in_rounded(x, y, back, size * 0.04):
                        rgb = SHADE
                    colour = [c + v for c, v in zip(colour, rgb, strict=True)]
                    alpha += 1
            n = SAMPLES * SAMPLES
            if alpha:
                row += bytes(round(c / alpha) for c in colour) + bytes([round(255 * alpha / n)])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ):
        (OUT / name).write_bytes(draw(size, maskable=maskable))
        print(f"wrote static/img/{name}")


if __name__ == "__main__":
    main()
