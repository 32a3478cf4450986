"""The CRC arithmetic S3's flexible checksums need beyond computing a CRC of some bytes.

A multipart object with a FULL_OBJECT checksum reports the CRC of all its bytes. Re-reading the
object to get it would double the cost of completing an upload, but CRCs compose: from CRC(A),
CRC(B) and len(B), CRC(A + B) follows by polynomial arithmetic (multiply CRC(A) by x^(8 len B)
modulo the generator, then add CRC(B)). That holds for CRC-32, CRC-32C and CRC-64/NVME alike,
since all three are reflected with all-ones initial value and final xor.

CRC-64/NVME has no C implementation in our dependencies, so it is computed here from a table;
it is correct but slow (pure Python), which is acceptable because clients only use it when
asked to (botocore needs the optional CRT for it).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import crc32c


@dataclass(frozen=True)
class CrcSpec:
    """A reflected CRC with all-ones init and xor-out, given by its normal generator."""

    name: str
    width: int
    poly: int  # the generator without its top term, in normal (MSB-first) bit order
    table: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


def _reflect(value: int, width: int) -> int:
    result = 0
    for _ in range(width):
        result = (result << 1) | (value & 1)
        value >>= 1
    return result


def _table(width: int, poly: int) -> tuple[int, ...]:
    reflected = _reflect(poly, width)
    entries = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ reflected if crc & 1 else crc >> 1
        entries.append(crc)
    return tuple(entries)


CRC32 = CrcSpec("CRC32", 32, 0x04C11DB7)
CRC32C = CrcSpec("CRC32C", 32, 0x1EDC6F41)
CRC64NVME = CrcSpec("CRC64NVME", 64, 0xAD93D23594C93659, _table(64, 0xAD93D23594C93659))
SPECS = {spec.name: spec for spec in (CRC32, CRC32C, CRC64NVME)}


def crc_update(spec: CrcSpec, crc: int, data: bytes | memoryview) -> int:
    """The CRC of (the bytes that gave `crc`) + `data`; start from 0 for a fresh CRC."""
    if spec is CRC32:
        return zlib.crc32(data, crc)
    if spec is CRC32C:
        return int(crc32c.crc32c(data, value=crc))
    return _table_update(spec, crc, bytes(data))


def _table_update(spec: CrcSpec, crc: int, data: bytes) -> int:
    table, mask = spec.table, spec.mask
    register = crc ^ mask
    for byte in data:
        register = table[(register ^ byte) & 0xFF] ^ (register >> 8)
    return register ^ mask


def crc_combine(spec: CrcSpec, crc_a: int, crc_b: int, length_b: int) -> int:
    """CRC(A + B) from CRC(A), CRC(B) and the length of B in bytes."""
    shift = _x_power(spec.width, spec.poly, 8 * length_b)
    shifted = _mulmod(_reflect(crc_a, spec.width), shift, spec.width, spec.poly)
    return _reflect(shifted, spec.width) ^ crc_b


def _mulmod(a: int, b: int, width: int, poly: int) -> int:
    """a * b modulo the generator (x^width + poly), polynomials over GF(2) as ints."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        a <<= 1
        b >>= 1
    full = (1 << width) | poly
    for bit in range(product.bit_length() - 1, width - 1, -1):
        if product >> bit & 1:
            product ^= full << (bit - width)
    return product


@lru_cache(maxsize=256)
def _x_power(width: int, poly: int, exponent: int) -> int:
    """x^exponent modulo the generator (part sizes repeat, hence the cache)."""
    result, base = 1, 2  # the polynomials 1 and x
    while exponent:
        if exponent & 1:
            result = _mulmod(result, base, width, poly)
        base = _mulmod(base, base, width, poly)
        exponent >>= 1
    return result
