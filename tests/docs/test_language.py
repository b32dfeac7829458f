"""`/docs upload` and its progress in Turkish, in the console, with the server's language set
to Turkish (`/plugins config set plugin:core key:language value:tr`)."""

from __future__ import annotations

from tests.docs.conftest import GARDEN_TEXT, World


async def test_upload_progress_and_list_in_turkish(world: World) -> None:
    admin = world.member("ada", admin=True)
    set_to = await admin.say("/plugins config set plugin:core key:language value:tr")
    assert "`core.language` is now `\"tr\"` on this server." in set_to  # said before the change
    alice = world.member("alice")
    out = await alice.say(f"/docs upload file:{world.file('bahçe.txt', GARDEN_TEXT)}")
    assert "📄 **bahçe.txt** okunuyor…" in out
    assert "✅ **bahçe.txt** eklendi: 1 sayfa" in out and "Onunla ilgili soruları `/ask` ile sorun." in out
    listed = await alice.say("/docs list")
    assert "**1 belge**" in listed and "yükleyen <@" in listed
    picture = world.file("resim.txt", b"\x89PNG\r\n\x1a\n" + bytes(64))
    refused = await alice.say(f"/docs upload file:{picture}")
    assert "`resim.txt` adı düz metin gibi, ama içeriği bir PNG resmi." in refused
    assert "lütfen bir PDF, Word (.docx), düz metin, Markdown, HTML ya da CSV dosyası" in refused
