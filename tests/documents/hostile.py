"""Hypothesis strategies for hostile uploads: random and adversarial bytes for every reader."""

from __future__ import annotations

import io
import zipfile

from hypothesis import strategies as st

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# Letters that matter here (Turkish, combining marks, ligatures, controls, NBSP, RTL, emoji).
_ALPHABET = st.sampled_from(
    list("aAzZ09 ,;\t|\"'\n\r<>&/=-.") + list("çğıİöşüÇĞÖŞÜ\u0327\ufb01\x00\x0c\u00a0\u202e😀")
)
texts = st.text(_ALPHABET, max_size=300)


def _invalid_bytes(raw: bytes) -> bytes:
    """Bytes that are not valid UTF-8 (lone continuation bytes, a cut multibyte letter)."""
    return raw + b"\x80\xff\xfe" + "ğ".encode()[:1]


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """`text` in a common encoding, sometimes with invalid bytes mixed in."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1254", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + _invalid_bytes(b"") + data[cut:]
    return data


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "wide", "huge field", "open quotes", "ragged"]))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    if kind == "wide":
        columns = draw(st.integers(1, 30_000))
        name = draw(st.sampled_from(["c{}", "x", "", "{} "]))
        header = delimiter.join(name.format(i) for i in range(columns))
        text = header + "\n" + delimiter.join("1" for _ in range(columns)) + "\n"
    elif kind == "huge field":
        size = draw(st.integers(1_000, 300_000))
        text = f"a{delimiter}b\n\"{'x' * size}\"{delimiter}1\n"
    elif kind == "open quotes":
        text = "a,b\n" + '"\n' * draw(st.integers(1, 50_000))
    elif kind == "ragged":
        rows = draw(st.lists(st.lists(texts, max_size=8), max_size=30))
        text = "\n".join(delimiter.join(row) for row in rows)
    else:
        text = draw(texts)
    return draw(encoded(text))


_TAGS = ["div", "p", "span", "pre", "table", "tr", "td", "li", "ul", "script", "style",
         "template", "br", "b", "svg", "title", "a"]  # fmt: skip


@st.composite
def html_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "deep", "unclosed", "flat", "charset"]))
    if kind == "deep":
        tag = draw(st.sampled_from(_TAGS))
        depth = draw(st.integers(1, 60_000))
        text = f"<{tag}>" * depth + draw(texts) + f"</{tag}>" * draw(st.integers(0, depth))
    elif kind == "unclosed":
        tags = draw(st.lists(st.sampled_from(_TAGS), min_size=1, max_size=20))
        text = "".join(f"<{t} hidden>" if i % 7 == 6 else f"<{t}>x " for i, t in
                       enumerate(tags * draw(st.integers(1, 2_000))))  # fmt: skip
    elif kind == "flat":
        text = "<p>a</p>" * draw(st.integers(1, 50_000))
    elif kind == "charset":
        charset = draw(st.sampled_from(["windows-1254", "utf-8", "bogus-charset", "utf-16"]))
        text = f'<meta charset="{charset}"><p>{draw(texts)}</p>'
    else:
        pieces = draw(st.lists(st.one_of(texts, st.sampled_from(_TAGS).map("<{}>".format),
                                         st.sampled_from(_TAGS).map("</{}>".format),
                                         st.just("<!-- c -->")), max_size=60))  # fmt: skip
        text = "".join(pieces)
    return draw(encoded(text))


@st.composite
def text_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "long line", "many lines", "bytes"]))
    if kind == "long line":
        text = draw(st.sampled_from(["x", "ğ", "a ", "\u0301"])) * draw(st.integers(1, 400_000))
    elif kind == "many lines":
        text = "\n" * draw(st.integers(1, 200_000)) + "a"
    elif kind == "bytes":
        return draw(st.binary(max_size=5_000))
    else:
        text = draw(texts)
    return draw(encoded(text))


def docx_package(body: str) -> bytes:
    """A minimal DOCX around `body` (WordprocessingML inside <w:body>)."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
        'Target="word/document.xml"/></Relationships>'
    )
    document = f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def _xml_text(text: str) -> str:
    clean = "".join(c for c in text if c in "\t\n" or (c >= " " and c != "\ufffe"))
    return clean.replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def docx_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["paragraphs", "deep", "table", "damaged"]))
    word = _xml_text(draw(texts))
    paragraph = f"<w:p><w:r><w:t>{word}</w:t></w:r></w:p>"
    if kind == "deep":
        depth = draw(st.integers(1, 5_000))
        body = "<w:sdt><w:sdtContent>" * depth + paragraph + "</w:sdtContent></w:sdt>" * depth
    elif kind == "table":
        cells = f"<w:tc>{paragraph}</w:tc>" * draw(st.integers(1, 200))
        body = f"<w:tbl>{f'<w:tr>{cells}</w:tr>' * draw(st.integers(1, 50))}</w:tbl>"
    else:
        body = paragraph * draw(st.integers(1, 5_000))
    data = docx_package(body)
    if kind == "damaged":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at + 20 :]
    return data


def pdf_file(contents: list[str], extra: str = "") -> bytes:
    """A minimal PDF with one page per content stream (Helvetica as /F1)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(contents)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, content in enumerate(contents):
        stream = content.encode("latin-1", errors="replace")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * index} 0 R"
            f" /Resources << /Font << /F1 3 0 R >> >> {extra} >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@st.composite
def pdf_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["text", "many operators", "deep array", "damaged", "pages"]))
    escaped = draw(texts).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    show = f"BT /F1 10 Tf 40 760 Td ({escaped}) Tj ET"
    if kind == "many operators":
        data = pdf_file(["BT /F1 10 Tf 40 760 Td " + "(w) Tj " * draw(st.integers(1, 20_000)) + "ET"])
    elif kind == "deep array":
        depth = draw(st.integers(1, 20_000))
        data = pdf_file([show], extra="/Extra " + "[" * depth + "]" * depth)
    elif kind == "pages":
        data = pdf_file([show] * draw(st.integers(1, 60)))
    else:
        data = pdf_file([show])
    if kind == "damaged":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=30)) + data[at + 30 :]
    return data
