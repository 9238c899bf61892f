"""Hostile PDFs written byte by byte: a page-count bomb, a decompression bomb, self-multiplying forms, and a page
with hundreds of thousands of operators. Each is small on disk and costs unbounded time or memory to read
without limits (see strategy_docs.MAX_PDF_PAGES, MAX_PAGE_OPERATIONS and PYPDF_LIMITS).
"""

from __future__ import annotations

import zlib

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Det er stort behov for sykepleiere i regionen.) Tj ET"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def assemble(objects: list[bytes]) -> bytes:
    """Objects 1..n with a correct cross-reference table; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes, *, compress: bool = True, extra: bytes = b"") -> bytes:
    """A stream object, Flate-compressed unless told otherwise."""
    body = zlib.compress(data, 9) if compress else data
    return (b"<< " + (b"/Filter /FlateDecode " if compress else b"") + extra + b"/Length %d >>\nstream\n" % len(body)
            + body + b"\nendstream")


def _pages(count: int, content: bytes) -> bytes:
    """Catalog, one page-tree node with `count` pages all drawing object 3, font 4."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(count))
    objects = [CATALOG,
               b"<< /Type /Pages /Count %d /Kids [%s] /Resources << /Font << /F1 4 0 R >> >> "
               b"/MediaBox [0 0 612 792] >>" % (count, kids),
               content, FONT]
    return assemble(objects + [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>"] * count)


def many_pages(count: int) -> bytes:
    """`count` pages sharing one content stream: 100 bytes a page on disk."""
    return _pages(count, stream(TEXT))


def deflate_bomb(megabytes: int, pages: int = 1) -> bytes:
    """A content stream that inflates to `megabytes` MB of drawing operators from well under 1 MB."""
    packer = zlib.compressobj(9)
    chunk = b"0 0 m 1 1 l S\n" * 70_000
    body = b"".join(packer.compress(chunk) for _ in range(megabytes * 1_000_000 // len(chunk))) + packer.flush()
    return _pages(pages, b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(body) + body + b"\nendstream")


def nested_forms(depth: int, fanout: int) -> bytes:
    """Form k draws form k+1 `fanout` times; the last holds text: fanout**depth text runs from a 2 kB file."""
    page = (b"<< /Type /Page /Parent 2 0 R /Contents 5 0 R "
            b"/Resources << /Font << /F1 4 0 R >> /XObject << /X0 6 0 R >> >> >>")
    objects = [CATALOG, b"<< /Type /Pages /Count 1 /Kids [3 0 R] /MediaBox [0 0 612 792] >>", page, FONT,
               stream(b"/X0 Do", compress=False)]
    form = b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
    for k in range(depth):
        resources = b"/Resources << /Font << /F1 4 0 R >> /XObject << /X%d %d 0 R >> >> " % (k + 1, 7 + k)
        objects.append(stream((b"/X%d Do\n" % (k + 1)) * fanout, compress=False, extra=form + resources))
    objects.append(stream(TEXT, compress=False, extra=form + b"/Resources << /Font << /F1 4 0 R >> >> "))
    return assemble(objects)


def operator_flood(operators: int) -> bytes:
    """One page of text followed by `operators` save/restore pairs' worth of operators."""
    return _pages(1, stream(TEXT + b"\n" + b"q\nQ\n" * (operators // 2)))
