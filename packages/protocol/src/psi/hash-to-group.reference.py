#!/usr/bin/env python3
"""Independent reference for hash-to-group.test.ts: RFC 9380 hash_to_curve with the suite
curve25519_XMD:SHA-512_ELL2_RO_, written from RFC 9380 §5.2-5.3 (hash_to_field,
expand_message_xmd), §6.7.1 (Elligator 2, Z = 2) and affine Montgomery addition, with hashlib and
Python integers only (no @noble, no ed25519 code). It is how the frozen vectors of our own DSTs
were computed; `python3 hash-to-group.reference.py rfc` reproduces RFC 9380 Appendix J.4.1.

    python3 hash-to-group.reference.py '<dst>' '<msg>'   # prints the u-coordinate, little-endian
"""
import hashlib
import sys

P = 2**255 - 19
J = 486662  # RFC 7748 §4.1: v^2 = u^3 + J u^2 + u


def expand_message_xmd(msg: bytes, dst: bytes, n: int) -> bytes:  # RFC 9380 §5.3.1, SHA-512
    ell = (n + 63) // 64
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha512(b"\0" * 128 + msg + n.to_bytes(2, "big") + b"\0" + dst_prime).digest()
    b = [hashlib.sha512(b0 + b"\1" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, b[-1]))
        b.append(hashlib.sha512(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(b)[:n]


def hash_to_field(msg: bytes, dst: bytes, count: int) -> list[int]:  # §5.2, m = 1, L = 48
    u = expand_message_xmd(msg, dst, count * 48)
    return [int.from_bytes(u[48 * i : 48 * (i + 1)], "big") % P for i in range(count)]


def is_square(a: int) -> bool:
    return a % P == 0 or pow(a, (P - 1) // 2, P) == 1


def sqrt(a: int) -> int:  # p = 5 (mod 8); only called on squares
    r = pow(a, (P + 3) // 8, P)
    if r * r % P != a % P:
        r = r * pow(2, (P - 1) // 4, P) % P
    assert r * r % P == a % P
    return r


def elligator2(u: int) -> tuple[int, int]:  # §6.7.1 with Z = 2, K = 1
    x1 = (-J) * pow(1 + 2 * u * u, P - 2, P) % P
    if x1 == 0:
        x1 = -J % P
    gx1 = (x1**3 + J * x1**2 + x1) % P
    x2 = (-x1 - J) % P
    gx2 = (x2**3 + J * x2**2 + x2) % P
    if is_square(gx1):
        x, y = x1, sqrt(gx1)
        if y % 2 != 1:  # sgn0(y) == 1
            y = -y % P
    else:
        x, y = x2, sqrt(gx2)
        if y % 2 != 0:  # sgn0(y) == 0
            y = -y % P
    return x, y


def add(p, q):  # affine Montgomery addition; None is the point at infinity
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p == q:
        lam = (3 * x1 * x1 + 2 * J * x1 + 1) * pow(2 * y1, P - 2, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, P - 2, P) % P
    x3 = (lam * lam - J - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def hash_to_curve(msg: bytes, dst: bytes):  # §3: map both, add, clear the cofactor (h_eff = 8)
    u0, u1 = hash_to_field(msg, dst, 2)
    r = add(elligator2(u0), elligator2(u1))
    for _ in range(3):
        r = add(r, r)
    return r


if __name__ == "__main__":
    if sys.argv[1:] == ["rfc"]:
        dst = b"QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_RO_"
        for m in [b"", b"abc", b"abcdef0123456789", b"q128_" + b"q" * 128, b"a512_" + b"a" * 512]:
            u, v = hash_to_curve(m, dst)
            print(m[:16], "P.x = %064x" % u, "P.y = %064x" % v)
    else:
        u, _ = hash_to_curve(sys.argv[2].encode(), sys.argv[1].encode())
        print(u.to_bytes(32, "little").hex())
