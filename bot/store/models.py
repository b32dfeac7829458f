"""SQLAlchemy 2.0 ORM models. The schema itself is created only by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEntry",
    "Base",
    "Conversation",
    "ConversationMessage",
    "Document",
    "KeyValue",
    "PluginRoleRule",
    "PluginSetting",
    "PluginState",
    "Server",
    "TaughtAnswer",
    "TaughtExample",
    "TaughtHead",
    "TaughtPersona",
    "TaughtTerm",
    "UTCDateTime",
    "UsageDaily",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect (SQLite drops the offset on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Server(Base):
    __tablename__ = "servers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    # "discord" or "telegram": the platform the (platform-qualified) id belongs to.
    platform: Mapped[str] = mapped_column(String(16), default="discord", server_default="discord")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PluginState(Base):
    """Whether a plugin is enabled on a server (absent row: the plugin's default)."""

    __tablename__ = "plugin_states"

    server_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PluginSetting(Base):
    """One overridden setting; channel_id 0 means the server-wide value."""

    __tablename__ = "plugin_settings"

    server_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PluginRoleRule(Base):
    """Role allow list: when a plugin has rules on a server, only these roles may use it."""

    __tablename__ = "plugin_role_rules"

    server_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    role_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_server_created", "server_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("server_id", "scope"),
        Index("ix_conversations_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_conv", "conversation_id", "id"),
        Index("ix_conversation_messages_author", "author_id"),
        # Replies to the bot find their conversation by the Discord id of the bot's message.
        Index("ix_conversation_messages_platform", "platform_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # user | assistant | system
    author_id: Mapped[int] = mapped_column(BigInteger, default=0)
    author_name: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[str] = mapped_column(Text)
    platform_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    summarized: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class UsageDaily(Base):
    """Model tokens used per server, user and day (for budgets and accounting)."""

    __tablename__ = "usage_daily"

    server_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tokens_in: Mapped[int] = mapped_column(BigInteger, default=0)
    tokens_out: Mapped[int] = mapped_column(BigInteger, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """An uploaded document; its chunks live in the vector store under the same id."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("server_id", "sha256"),
        Index("ix_documents_uploader", "uploader_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    uploader_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ready")  # ingesting | ready
    source_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyValue(Base):
    """Small bot-wide state, e.g. the hash of the last synced command set."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ----- teaching: what a server's admins taught its tasks (bot.teaching) ----------------------
# Every row belongs to one server; `teacher_id` is the admin who taught it, `writer_id` the
# member who wrote the text when it came from their message (forget and export follow both).


class TaughtExample(Base):
    """A labelled text (task "sentiment"): one label per text and server, the latest wins."""

    __tablename__ = "taught_examples"
    __table_args__ = (
        UniqueConstraint("server_id", "task", "text_key"),
        Index("ix_taught_examples_writer", "writer_id"),
        Index("ix_taught_examples_teacher", "teacher_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    task: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    text_key: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised text
    label: Mapped[str] = mapped_column(String(32))
    writer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    teacher_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # command | message | import | dashboard
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaughtHead(Base):
    """One trained version of a server's classifier head over frozen sentence embeddings."""

    __tablename__ = "taught_heads"
    __table_args__ = (UniqueConstraint("server_id", "task", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    task: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False)
    # False while its counterfactual flip rate is worse than the default's and no admin has
    # confirmed it: not used.
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    # Right on more of the server's examples than the default engine (cross-validated), by a
    # margin a one-sided sign test calls significant: used only then.
    beats_default: Mapped[bool] = mapped_column(Boolean, default=False)
    embedder: Mapped[str] = mapped_column(String(200))
    weights: Mapped[Any] = mapped_column(JSON)  # classes, coef, intercept
    examples: Mapped[int] = mapped_column(Integer)
    per_class: Mapped[Any] = mapped_column(JSON)
    cv_accuracy: Mapped[float] = mapped_column(Float)
    default_accuracy: Mapped[float] = mapped_column(Float)
    flip_rate: Mapped[float] = mapped_column(Float)
    default_flip_rate: Mapped[float] = mapped_column(Float)
    flips: Mapped[Any] = mapped_column(JSON)  # a few counterfactual pairs whose label flipped
    seconds: Mapped[float] = mapped_column(Float)
    trained_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaughtTerm(Base):
    """A glossary entry: how the server translates `source_term` from one language to another."""

    __tablename__ = "taught_terms"
    __table_args__ = (
        UniqueConstraint("server_id", "source_lang", "target_lang", "term_key"),
        Index("ix_taught_terms_teacher", "teacher_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    source_term: Mapped[str] = mapped_column(String(200))
    term_key: Mapped[str] = mapped_column(String(200))  # casefolded source term
    target_term: Mapped[str] = mapped_column(String(200))
    teacher_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaughtAnswer(Base):
    """A question whose answer the server's admins fixed (found first by /ask)."""

    __tablename__ = "taught_answers"
    __table_args__ = (
        Index("ix_taught_answers_server", "server_id"),
        Index("ix_taught_answers_teacher", "teacher_id"),
        Index("ix_taught_answers_asker", "asker_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # float32
    embedder: Mapped[str] = mapped_column(String(200), default="")
    asker_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    teacher_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaughtPersona(Base):
    """An example exchange for chat's prompt, server-wide (channel 0) or for one channel."""

    __tablename__ = "taught_persona"
    __table_args__ = (
        Index("ix_taught_persona_server", "server_id", "channel_id"),
        Index("ix_taught_persona_teacher", "teacher_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    server_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger, default=0)
    user_text: Mapped[str] = mapped_column(Text)
    bot_text: Mapped[str] = mapped_column(Text)
    teacher_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
