"""A loopback Telegram Bot API: the methods the adapter uses, over real HTTP, for real aiogram.

getMe, getUpdates (long polling), sendMessage, editMessageText (429s on demand), sendChatAction,
sendDocument, setMyCommands, getChatMember, getFile and the file download. Members' messages
are queued as updates with the entities Telegram would add (@mentions, /commands); the bot's
messages are kept per chat, with every edit, so tests read what a member would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token-for-the-loopback-api"
BOT: dict[str, Any] = {
    "id": 900_000_001,
    "is_bot": True,
    "first_name": "Sohbet",
    "username": "SohbetBot",
}
_JSON_FIELDS = {"reply_parameters", "commands", "scope", "reply_markup", "link_preview_options"}


@dataclass
class Sent:
    """A message the bot sent, as it is now, with the text of each version."""

    chat_id: int
    message_id: int
    versions: list[str]
    thread_id: int | None = None
    reply_to: int | None = None
    document: str | None = None

    @property
    def text(self) -> str:
        return self.versions[-1]


@dataclass
class FakeTelegram:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    documents: dict[str, bytes] = field(default_factory=dict)  # sent by the bot, by name
    admins: set[tuple[int, int]] = field(default_factory=set)  # (chat, user)
    edit_429s: int = 0  # the next N editMessageText calls are refused with 429
    retry_after: int = 1
    unknown: list[str] = field(default_factory=list)
    started: set[int] = field(default_factory=set)  # members who opened a private chat
    releasing: bool = False  # long polls return at once (the test is ending)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    # ----- server ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)  # its URLs hold the token
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def release(self) -> None:
        """End the bot's pending long poll now, so it stops without waiting for it."""
        self.releasing = True
        self._changed.set()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.content_type.startswith("multipart/") or request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = (value.filename, value.file.read())
                elif key in _JSON_FIELDS:
                    params[key] = json.loads(str(value))
                else:
                    params[key] = str(value)
        self.calls.append((method, params))
        handler = getattr(self, "api_" + method, None)
        if handler is None:
            self.unknown.append(method)
            return _error(404, "Not Found: method not found")
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, web.Response):
            return result
        self._changed.set()
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.removeprefix("documents/")
        if request.match_info["token"] != TOKEN or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    # ----- Bot API methods -----------------------------------------------------------------

    def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        deadline = time.monotonic() + float(params.get("timeout", 0) or 0)
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready or self.releasing or time.monotonic() >= deadline:
                return ready
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())

    def _may_write(self, chat_id: int) -> bool:
        return chat_id < 0 or chat_id in self.started

    def api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if not self._may_write(chat_id):
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        if (problem := _parse_problem(params)) is not None:
            return problem
        reply = params.get("reply_parameters") or {}
        thread = int(params["message_thread_id"]) if "message_thread_id" in params else None
        sent = Sent(
            chat_id,
            self._next_id(chat_id),
            [params["text"]],
            thread_id=thread,
            reply_to=reply.get("message_id"),
        )
        self.sent.append(sent)
        return self._bot_message(sent)

    def api_editMessageText(self, params: dict[str, Any]) -> Any:
        if self.edit_429s > 0:
            self.edit_429s -= 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status=429,
            )
        if (problem := _parse_problem(params)) is not None:
            return problem
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        sent = next(s for s in self.sent if (s.chat_id, s.message_id) == (chat_id, message_id))
        if sent.text == params["text"]:
            return _error(400, "Bad Request: message is not modified")
        sent.versions.append(params["text"])
        return self._bot_message(sent)

    def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def api_sendDocument(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if not self._may_write(chat_id):
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        document = params["document"]
        if isinstance(document, str):  # "attach://<field>": the file is in another part
            document = params[document.removeprefix("attach://")]
        name, data = document
        self.documents[name] = data
        sent = Sent(chat_id, self._next_id(chat_id), [""], document=name)
        self.sent.append(sent)
        return self._bot_message(sent)

    def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if (chat_id, user_id) in self.admins:
            return {"status": "creator", "user": user, "is_anonymous": False}
        return {"status": "member", "user": user}

    def api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    # ----- members -------------------------------------------------------------------------

    def send(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        text: str = "",
        *,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        document: tuple[str, bytes] | None = None,
        claimed_size: int | None = None,
        sender_chat: dict[str, Any] | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """A member posts in `chat`; returns the message (use it as `reply_to` later).
        `sender_chat`: posted on behalf of a chat (an anonymous admin: the group itself, with
        `user` GroupAnonymousBot; a linked channel's automatic forward)."""
        if chat["type"] == "private":
            self.started.add(chat["id"])
        message: dict[str, Any] = {
            "message_id": self._next_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        if media_group_id is not None:  # one document of an album
            message["media_group_id"] = media_group_id
        key = "caption" if document else "text"
        if text:
            message[key] = text
            entities = _entities(text)
            if entities:
                message["caption_entities" if document else "entities"] = entities
        if document is not None:
            name, data = document
            file_id = f"file{len(self.files) + 1}"
            self.files[file_id] = data
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": name,
                "mime_type": _mime(name),
                "file_size": claimed_size if claimed_size is not None else len(data),
            }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            if reply_to is None:  # Telegram: a topic's messages reply to its first message
                reply_to = {
                    "message_id": thread_id,
                    "date": 0,
                    "chat": chat,
                    "forum_topic_created": {"name": "topic", "icon_color": 0},
                }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._updates.append({"update_id": next(self._update_ids), "message": message})
        self._changed.set()
        return message

    def migrate(
        self, group: dict[str, Any], supergroup: dict[str, Any], by: dict[str, Any]
    ) -> None:
        """`by` upgrades `group` to `supergroup`: Telegram tells the bot in both chats."""
        for chat, announcement, other in (
            (group, "migrate_to_chat_id", supergroup),
            (supergroup, "migrate_from_chat_id", group),
        ):
            message = {
                "message_id": self._next_id(chat["id"]),
                "date": int(time.time()),
                "chat": chat,
                "from": by,
                announcement: other["id"],
            }
            self._updates.append({"update_id": next(self._update_ids), "message": message})
        self._changed.set()

    def bot_message(self, sent: Sent) -> dict[str, Any]:
        """A bot message as a member's client has it (to reply to)."""
        return self._bot_message(sent)

    async def until(
        self, predicate: Callable[[], Any], within: float = 10.0, quiet: float = 0.0
    ) -> Any:
        """Wait until `predicate()` is truthy (and nothing changed for `quiet` seconds)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                if quiet <= 0:
                    return value
                before = self._fingerprint()
                await asyncio.sleep(quiet)
                if self._fingerprint() == before and predicate():
                    return predicate()
                continue
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting; the bot sent {self.texts()}")

    def in_chat(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [s.text for s in self.sent if chat_id is None or s.chat_id == chat_id]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == method]

    def _fingerprint(self) -> tuple[int, int]:
        calls = sum(1 for method, _ in self.calls if method != "getUpdates")
        return calls, sum(len(s.versions) for s in self.sent)

    def _next_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(100))
        return next(counter)

    def _bot_message(self, sent: Sent) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "supergroup"},
            "from": BOT,
            "text": sent.text,
        }
        if sent.thread_id is not None:
            message["message_thread_id"] = sent.thread_id
            message["is_topic_message"] = True
        return message


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def basic_group(chat_id: int, title: str = "group") -> dict[str, Any]:
    return {"id": chat_id, "type": "group", "title": title}


def supergroup(chat_id: int, title: str = "group", *, forum: bool = False) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": title}
    if forum:
        chat["is_forum"] = True
    return chat


# Who Telegram says wrote a message an admin sent with "Remain anonymous" on.
GROUP_ANONYMOUS_BOT: dict[str, Any] = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}


def user(user_id: int, name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[dict[str, Any]]:
    found = []
    for match in re.finditer(r"(?<!\S)(/[A-Za-z0-9_]+(?:@\w+)?)|(@\w+)", text):
        kind = "bot_command" if match.group(1) else "mention"
        if kind == "bot_command" and match.start() != 0:
            continue
        found.append(
            {
                "type": kind,
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group(0)),
            }
        )
    return found


def _mime(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "tg-spoiler", "blockquote"}


class _Entities(HTMLParser):
    """Telegram's HTML rules, strictly: known tags, properly nested, `a` with an href."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.problem = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS or (tag == "a" and not dict(attrs).get("href")):
            self.problem = self.problem or f"unsupported start tag {tag!r}"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problem = self.problem or f"unmatched end tag {tag!r}"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(text: str) -> tuple[str, str]:
    """(the text a member sees, the parse problem or "")."""
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.open and not parser.problem:
        parser.problem = f"unclosed tag {parser.open[-1]!r}"
    if re.search(r"<(?![a-zA-Z/])|&(?![a-z]+;|#\d+;)", text) and not parser.problem:
        parser.problem = "a bare '<' or '&'"
    return "".join(parser.text), parser.problem


def _parse_problem(params: dict[str, Any]) -> web.Response | None:
    if params.get("parse_mode") != "HTML":
        return None
    visible, problem = check_html(params["text"])
    if problem:
        return _error(400, f"Bad Request: can't parse entities: {problem}")
    if not visible.strip():
        return _error(400, "Bad Request: message text is empty")
    if len(visible.encode("utf-16-le")) // 2 > 4096:
        return _error(400, "Bad Request: message is too long")
    return None


def _error(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )
