"""Text formats: encodings (Turkish letters), Markdown, HTML and CSV."""

from __future__ import annotations

import codecs
import time

import pytest

from bot.documents import Page, parse_document_sync

TURKISH = "Çağrı ışığı gördü; Şule ölçümü üç kez yaptı. İĞNE, ÖZGÜR, ÇİÇEK."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TURKISH.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TURKISH.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TURKISH.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TURKISH.encode("utf-16-be"), "utf-16-be"),
        (TURKISH.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (TURKISH.encode("utf-16-be"), "utf-16-be"),  # no BOM
        (codecs.BOM_UTF32_LE + TURKISH.encode("utf-32-le"), "utf-32-le"),
        (TURKISH.encode("cp1254"), "cp1254"),  # legacy Turkish Windows text
    ],
)
def test_turkish_text_in_any_common_encoding(data: bytes, encoding: str) -> None:
    doc = parse_document_sync(data, "notlar.txt")

    assert doc.kind == "txt"
    assert doc.pages == (Page(None, TURKISH),)
    assert doc.encoding == encoding


def test_declared_charset_is_tried_first() -> None:
    # ISO-8859-9 bytes that also decode as cp1254: the content type's charset decides.
    doc = parse_document_sync(
        "ölçü ıı".encode("iso-8859-9"), "a.txt", content_type="text/plain; charset=ISO-8859-9"
    )

    assert doc.pages[0].text == "ölçü ıı"
    assert doc.encoding == "iso8859-9"


def test_text_is_normalised() -> None:
    # CRLF and CR, trailing spaces, blank runs, a stray NUL, a ligature, a decomposed ç.
    raw = "a\r\nb\rc  \n\n\n\n\nd\x00e \ufb01le\nc\u0327ay\n" + "x" * 200
    doc = parse_document_sync(raw.encode(), "messy.txt")

    assert doc.pages[0].text == "a\nb\nc\n\nde file\nçay\n" + "x" * 200


def test_markdown_keeps_its_markup() -> None:
    text = "# Başlık\n\n<p align='center'>logo</p>\n\n- madde\n"

    doc = parse_document_sync(text.encode(), "README.md")

    assert doc.kind == "markdown"
    assert doc.pages[0].text == text.strip()


HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sayfa başlığı</title>
<style>body { color: red }</style><script>var secret = "x";</script></head>
<body>
  <nav>Menü</nav>
  <h1>Merhaba   dünya</h1>
  <p>Bir   paragraf
     iki satırda &amp; <b>kalın</b> kelime.<br>Yeni satır&nbsp;burada.</p>
  <!-- a comment -->
  <div hidden>gizli</div><span aria-hidden="true">ikon</span>
  <noscript>JavaScript gerekli</noscript>
  <table><tr><th>Ad</th><th>Yaş</th></tr><tr><td>Ayşe</td><td>30</td></tr></table>
  <pre>def f():
    return 1</pre>
  <template><p>şablon</p></template>
</body></html>"""


def test_html_visible_text_only() -> None:
    doc = parse_document_sync(HTML.encode(), "page.html")

    assert doc.kind == "html"
    assert doc.pages[0].text == (
        "Sayfa başlığı\n\nMenü\n\nMerhaba dünya\n\n"
        "Bir paragraf iki satırda & kalın kelime.\nYeni satır burada.\n\n"
        "Ad\tYaş\nAyşe\t30\n\ndef f():\n    return 1"
    )
    for hidden in ("secret", "color", "comment", "gizli", "ikon", "JavaScript", "şablon"):
        assert hidden not in doc.pages[0].text


def test_html_with_many_siblings_is_read_in_linear_time() -> None:
    """Separators used to be inserted into the tree, and bs4 finds a node among its siblings
    one by one: 8,000 paragraphs (64 KB) took 4 s, a 20 MB page minutes."""
    started = time.perf_counter()
    doc = parse_document_sync(("<p>x</p>" * 8_000 + "<br>" * 8_000).encode(), "flat.html")
    assert time.perf_counter() - started < 2.0  # quadratic took 4 s
    assert doc.pages[0].text == "\n\n".join(["x"] * 8_000)


def test_html_meta_charset_decides_for_legacy_bytes() -> None:
    page = '<html><head><meta charset="windows-1254"></head><body><p>Işık ağaç</p></body></html>'

    doc = parse_document_sync(page.encode("cp1254"), "eski.html")

    assert doc.pages[0].text == "Işık ağaç"


def test_csv_rows_become_labelled_blocks() -> None:
    data = 'ad,şehir,not\nAyşe,İzmir,"virgül, ve ""tırnak"""\nMehmet,Ankara,\n\n'.encode()

    doc = parse_document_sync(data, "kisiler.csv")

    assert doc.kind == "csv"
    assert doc.pages[0].text == (
        'ad: Ayşe\nşehir: İzmir\nnot: virgül, ve "tırnak"\n\nad: Mehmet\nşehir: Ankara'
    )


def test_semicolon_and_tab_separated_tables() -> None:
    semicolon = parse_document_sync(b"a;b\n1;2\n3;4\n", "excel.csv")
    tabs = parse_document_sync(b"a\tb\n1\t2\n", "data.tsv")

    assert semicolon.pages[0].text == "a: 1\nb: 2\n\na: 3\nb: 4"
    assert tabs.pages[0].text == "a: 1\nb: 2"


def test_delimiter_detection_is_linear_on_crafted_quotes() -> None:
    """csv.Sniffer's regexes needed seconds (holding the GIL, so the event loop stopped) for
    20 KB of quotes and newlines; the whole parse now takes a fraction of that."""
    started = time.perf_counter()
    for crafted in ('"\n' * 10_000 + "x,y\n1,2\n", '"a\n' * 6_667 + "x,y\n1,2\n"):
        assert parse_document_sync(crafted.encode(), "crafted.csv").kind == "csv"
    assert time.perf_counter() - started < 2.0  # the regexes took 7.5 s


def test_delimiter_is_the_most_consistent_one() -> None:
    decimal_commas = parse_document_sync(b"name;price\nx;1,5\ny;2,5\n", "prices.csv")
    pipes = parse_document_sync(b"a|b|c\n1|2|3\n", "p.csv")

    assert decimal_commas.pages[0].text == "name: x\nprice: 1,5\n\nname: y\nprice: 2,5"
    assert pipes.pages[0].text == "a: 1\nb: 2\nc: 3"


def test_csv_with_only_a_header_and_odd_columns() -> None:
    assert parse_document_sync(b"x,y,z\n", "h.csv").pages[0].text == "x, y, z"
    ragged = parse_document_sync(b"x,,x\n1,2,3,4\n", "r.csv").pages[0].text
    assert ragged == "x: 1\ncolumn 2: 2\ncolumn 3: 3\ncolumn 4: 4"
