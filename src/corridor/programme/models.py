"""Programme model: SQLAlchemy 2.0 ORM tables for a binational programme.

One programme covers a corridor (origin -> destination, ISO 3166-1 alpha-3) and
holds its agreements, partner organisations, meetings, lines of work,
commitments, documents, a results framework (results -> indicators ->
baselines, targets, observations) and activity records (training sessions and
their participants). Multilingual texts are stored as JSON objects keyed by
language code (``{"es": ..., "fr": ..., "en": ...}``).

The schema is created by the Alembic migrations in ``migrations/``; the
metadata here is the single source of truth and a test checks that the
migrated database matches it.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ORGANISATION_KINDS = (
    "ministry",
    "regional_health_authority",
    "local_health_authority",
    "civil_society",
    "international_organisation",
    "funder",
    "academia",
    "other",
)
COMMITMENT_STATUSES = ("planned", "in_progress", "done", "overdue", "cancelled")
RESULT_LEVELS = ("impact", "outcome", "output")
OBSERVATION_KINDS = ("baseline", "actual")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict] = {dict: JSON, list: JSON}


def _cascade() -> dict:
    return {"cascade": "all, delete-orphan", "passive_deletes": True}


class Programme(Base):
    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict | None] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(3))
    countries: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pipeline")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    iati_identifier: Mapped[str | None] = mapped_column(String(200))
    reporting_org: Mapped[str | None] = mapped_column(String(80))
    evidence_path: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organisations: Mapped[list[Organisation]] = relationship(back_populates="programme", **_cascade())
    agreements: Mapped[list[Agreement]] = relationship(back_populates="programme", **_cascade())
    meetings: Mapped[list[Meeting]] = relationship(back_populates="programme", **_cascade())
    lines_of_work: Mapped[list[LineOfWork]] = relationship(back_populates="programme", **_cascade())
    commitments: Mapped[list[Commitment]] = relationship(back_populates="programme", **_cascade())
    documents: Mapped[list[Document]] = relationship(back_populates="programme", **_cascade())
    results: Mapped[list[Result]] = relationship(back_populates="programme", **_cascade())
    sessions: Mapped[list[TrainingSession]] = relationship(back_populates="programme", **_cascade())
    imports: Mapped[list[ImportBatch]] = relationship(back_populates="programme", **_cascade())


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (
        UniqueConstraint("programme_id", "code"),
        CheckConstraint(f"kind IN {ORGANISATION_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[dict] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(3))
    region: Mapped[str | None] = mapped_column(String(10))
    iati_ref: Mapped[str | None] = mapped_column(String(80))
    iati_type: Mapped[str | None] = mapped_column(String(4))

    programme: Mapped[Programme] = relationship(back_populates="organisations")


class Agreement(Base):
    __tablename__ = "agreement"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    title: Mapped[dict] = mapped_column(JSON)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    purpose: Mapped[dict | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship(back_populates="agreements")
    parties: Mapped[list[AgreementParty]] = relationship(back_populates="agreement", **_cascade())


class AgreementParty(Base):
    __tablename__ = "agreement_party"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship()


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    title: Mapped[dict] = mapped_column(JSON)
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    date_note: Mapped[dict | None] = mapped_column(JSON)
    place: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship(back_populates="meetings")
    participants: Mapped[list[MeetingParticipant]] = relationship(back_populates="meeting", **_cascade())
    decisions: Mapped[list[Decision]] = relationship(back_populates="meeting", **_cascade())


class MeetingParticipant(Base):
    __tablename__ = "meeting_participant"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    organisation: Mapped[Organisation] = relationship()


class Decision(Base):
    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[dict] = mapped_column(JSON)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")


class LineOfWork(Base):
    __tablename__ = "line_of_work"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict] = mapped_column(JSON)

    programme: Mapped[Programme] = relationship(back_populates="lines_of_work")


class Commitment(Base):
    __tablename__ = "commitment"
    __table_args__ = (
        UniqueConstraint("programme_id", "code"),
        CheckConstraint(f"status IN {COMMITMENT_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    text: Mapped[dict] = mapped_column(JSON)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line_of_work.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_note: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="planned")

    programme: Mapped[Programme] = relationship(back_populates="commitments")
    owner: Mapped[Organisation] = relationship()
    line: Mapped[LineOfWork | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[dict] = mapped_column(JSON)
    year: Mapped[int | None] = mapped_column(Integer)
    authors: Mapped[list] = mapped_column(JSON, default=list)
    funders: Mapped[list] = mapped_column(JSON, default=list)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship(back_populates="documents")


class Result(Base):
    """An outcome or output of the results framework (IATI result @type 2 or 1)."""

    __tablename__ = "result"
    __table_args__ = (
        UniqueConstraint("programme_id", "code"),
        CheckConstraint(f"level IN {RESULT_LEVELS!r}", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line_of_work.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("result.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))
    title: Mapped[dict] = mapped_column(JSON)
    sdg: Mapped[list] = mapped_column(JSON, default=list)

    programme: Mapped[Programme] = relationship(back_populates="results")
    line: Mapped[LineOfWork | None] = relationship()
    indicators: Mapped[list[Indicator]] = relationship(back_populates="result", **_cascade())


class Indicator(Base):
    """A results-framework indicator; its values come from evidence or activity records."""

    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("result_id", "code"),
        CheckConstraint("source_kind IN ('evidence', 'activities', 'manual')", name="source_kind"),
        CheckConstraint("confidence > 0 AND confidence < 1", name="confidence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict] = mapped_column(JSON)
    definition: Mapped[dict | None] = mapped_column(JSON)
    unit: Mapped[str] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(2))
    ascending: Mapped[bool] = mapped_column(Boolean, default=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.95)
    source_kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[dict] = mapped_column(JSON)
    disaggregation: Mapped[list] = mapped_column(JSON, default=list)
    verification: Mapped[dict | None] = mapped_column(JSON)
    sdg: Mapped[list] = mapped_column(JSON, default=list)

    result: Mapped[Result] = relationship(back_populates="indicators")
    targets: Mapped[list[Target]] = relationship(back_populates="indicator", **_cascade())
    observations: Mapped[list[Observation]] = relationship(back_populates="indicator", **_cascade())


class Target(Base):
    __tablename__ = "target"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    dimension: Mapped[dict] = mapped_column(JSON, default=dict)

    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class Observation(Base):
    """A baseline or actual value with its uncertainty, as last refreshed from its source."""

    __tablename__ = "observation"
    __table_args__ = (CheckConstraint(f"kind IN {OBSERVATION_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    dimension: Mapped[dict] = mapped_column(JSON, default=dict)
    estimate: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    ci_level: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int | None] = mapped_column(Integer)
    quality: Mapped[str | None] = mapped_column(String(40))
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Text)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime)

    indicator: Mapped[Indicator] = relationship(back_populates="observations")


class ImportBatch(Base):
    """One import of activity records, with its row ledger (read = imported + skipped)."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_imported: Mapped[int] = mapped_column(Integer)
    rows_skipped_blank: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    programme: Mapped[Programme] = relationship(back_populates="imports")


class TrainingSession(Base):
    __tablename__ = "training_session"
    __table_args__ = (UniqueConstraint("programme_id", "session_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    import_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    session_code: Mapped[str] = mapped_column(String(80))
    held_on: Mapped[dt.date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(10))
    facility: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    trainers: Mapped[str | None] = mapped_column(String(400))
    line_code: Mapped[str | None] = mapped_column(String(80))

    programme: Mapped[Programme] = relationship(back_populates="sessions")
    participants: Mapped[list[TrainingParticipant]] = relationship(back_populates="session", **_cascade())


class TrainingParticipant(Base):
    __tablename__ = "training_participant"
    __table_args__ = (
        UniqueConstraint("session_id", "participant_code"),
        CheckConstraint("sex IN ('F', 'M')", name="sex"),
        CheckConstraint("pre_score >= 0 AND pre_score <= 100", name="pre_score"),
        CheckConstraint("post_score IS NULL OR (post_score >= 0 AND post_score <= 100)", name="post_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    participant_code: Mapped[str] = mapped_column(String(80))
    profession: Mapped[str] = mapped_column(String(40))
    sex: Mapped[str] = mapped_column(String(1))
    pre_score: Mapped[float] = mapped_column(Float)
    post_score: Mapped[float | None] = mapped_column(Float)
    source_row: Mapped[int] = mapped_column(Integer)

    session: Mapped[TrainingSession] = relationship(back_populates="participants")
