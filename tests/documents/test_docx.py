"""DOCX parsing: body order, tables, hidden duplicates, page breaks, damage and protection."""

from __future__ import annotations

import pytest
from docx.oxml import OxmlElement

from bot.documents import (
    CorruptDocument,
    DocumentLimits,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    MismatchedDocumentType,
    Page,
    UnsupportedDocumentType,
    parse_document_sync,
)
from tests.documents.builders import append_body_xml, make_docx, make_zip, rewrite_zip


def _paragraphs_and_table(document) -> None:
    document.add_heading("Toplantı notları", level=1)
    document.add_paragraph("Çarşamba günü ölçüm sonuçlarını konuştuk.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Ad"
    table.cell(0, 1).text = "Görev"
    table.cell(1, 0).text = "Şule"
    table.cell(1, 1).text = "Rapor yazmak"
    document.add_paragraph("Son paragraf.")


def test_paragraphs_and_tables_in_document_order() -> None:
    doc = parse_document_sync(make_docx(_paragraphs_and_table), "notlar.docx")

    assert doc.kind == "docx"
    assert doc.pages == (
        Page(
            None,
            "Toplantı notları\nÇarşamba günü ölçüm sonuçlarını konuştuk.\n"
            "Ad | Görev\nŞule | Rapor yazmak\n\nSon paragraf.",
        ),
    )


def test_content_controls_text_boxes_and_tracked_changes() -> None:
    def build(document) -> None:
        document.add_paragraph("Before.")
        append_body_xml(
            document,
            "<w:sdt><w:sdtContent><w:p><w:r><w:t>Inside a content control.</w:t></w:r></w:p>"
            "</w:sdtContent></w:sdt>"
            "<w:p><w:r><w:t xml:space='preserve'>Kept </w:t></w:r>"
            "<w:del w:id='1' w:author='a'><w:r><w:delText>deleted</w:delText></w:r></w:del>"
            "<w:r><w:t>text.</w:t></w:r></w:p>"
            "<w:p><w:r><mc:AlternateContent>"
            "<mc:Choice Requires='wps'><w:t>Text box.</w:t></mc:Choice>"
            "<mc:Fallback><w:t>Text box.</w:t></mc:Fallback>"
            "</mc:AlternateContent></w:r></w:p>",
        )

    doc = parse_document_sync(make_docx(build), "mixed.docx")

    assert doc.pages[0].text == ("Before.\nInside a content control.\nKept text.\nText box.")


def test_page_breaks_number_the_pages_and_duplicates_count_once() -> None:
    def build(document) -> None:
        document.add_paragraph("Page one.")
        document.add_page_break()  # a hard break ...
        second = document.add_paragraph()
        second.add_run()._r.append(OxmlElement("w:lastRenderedPageBreak"))  # ... rendered too
        second.add_run("Page two.")
        third = document.add_paragraph()
        third.add_run()._r.append(OxmlElement("w:lastRenderedPageBreak"))
        third.add_run("Page three.")

    doc = parse_document_sync(make_docx(build), "paged.docx")

    assert doc.pages == (Page(1, "Page one."), Page(2, "Page two."), Page(3, "Page three."))


def test_a_page_without_text_keeps_its_number() -> None:
    def build(document) -> None:
        document.add_page_break()  # a cover page with no text (say, only a picture)
        document.add_paragraph("Introduction.")
        document.add_page_break()
        document.add_page_break()  # a blank page
        document.add_paragraph("Chapter one.")

    doc = parse_document_sync(make_docx(build), "cover.docx")

    assert doc.pages == (
        Page(1, ""),
        Page(2, "Introduction."),
        Page(3, ""),
        Page(4, "Chapter one."),
    )


def test_docx_without_text_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        parse_document_sync(make_docx(lambda document: None), "blank.docx")


def test_truncated_docx_is_corrupt() -> None:
    data = make_docx(_paragraphs_and_table)

    with pytest.raises(CorruptDocument) as caught:
        parse_document_sync(data[: len(data) // 2], "cut.docx")

    assert "Word document" in caught.value.user_message


def test_docx_with_broken_xml_is_corrupt() -> None:
    data = rewrite_zip(
        make_docx(_paragraphs_and_table),
        lambda name, content: content[:-40] if name == "word/document.xml" else content,
    )

    with pytest.raises(CorruptDocument):
        parse_document_sync(data, "broken.docx")


def test_zip_that_is_not_a_docx_is_refused() -> None:
    data = make_zip({"notes.txt": b"hello", "photo.jpg": b"\xff\xd8\xff"})

    with pytest.raises(MismatchedDocumentType) as caught:
        parse_document_sync(data, "fake.docx")

    assert caught.value.declared == "docx"
    assert "ZIP archive" in caught.value.user_message
    with pytest.raises(UnsupportedDocumentType):
        parse_document_sync(data, "archive")


@pytest.mark.parametrize(
    ("member", "found"),
    [("xl/workbook.xml", "Excel"), ("ppt/presentation.xml", "PowerPoint")],
)
def test_other_office_files_are_named(member: str, found: str) -> None:
    data = make_zip({"[Content_Types].xml": b"<Types/>", member: b"<x/>"})

    with pytest.raises(UnsupportedDocumentType) as caught:
        parse_document_sync(data, "upload")

    assert found in caught.value.user_message


def test_macro_enabled_document_is_unsupported() -> None:
    data = rewrite_zip(
        make_docx(_paragraphs_and_table),
        lambda name, content: content.replace(
            b"officedocument.wordprocessingml.document.main+xml",
            b"ms-word.document.macroEnabled.main+xml",
        ),
    )

    with pytest.raises(UnsupportedDocumentType) as caught:
        parse_document_sync(data, "macros.docx")

    assert ".docm" in caught.value.user_message


def test_password_protected_office_file_is_encrypted() -> None:
    # Encrypted DOCX files are OLE2 compound files holding an "EncryptedPackage" stream.
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    data = ole2 + "EncryptedPackage".encode("utf-16-le") + bytes(1000)

    with pytest.raises(EncryptedDocument) as caught:
        parse_document_sync(data, "locked.docx")

    assert "password" in caught.value.user_message


def test_old_word_format_is_unsupported() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le")

    with pytest.raises(UnsupportedDocumentType) as caught:
        parse_document_sync(data, "old.doc")

    assert ".doc" in caught.value.user_message


def test_zip_bomb_is_refused_before_unpacking() -> None:
    data = make_docx(_paragraphs_and_table)

    with pytest.raises(DocumentTooLarge) as caught:
        parse_document_sync(data, "big.docx", DocumentLimits(max_unpacked_bytes=10_000))

    assert "when unpacked" in caught.value.user_message


def test_a_table_spilling_onto_the_next_page_starts_it_after_the_table() -> None:
    def build(document) -> None:
        table = document.add_table(rows=2, cols=1)
        table.cell(0, 0).text = "row one"
        run = table.cell(1, 0).paragraphs[0].add_run()
        run._r.append(OxmlElement("w:lastRenderedPageBreak"))
        run.add_text("row two")
        document.add_paragraph("After the table.")

    doc = parse_document_sync(make_docx(build), "table.docx")

    assert doc.pages == (Page(1, "row one\nrow two"), Page(2, "After the table."))
