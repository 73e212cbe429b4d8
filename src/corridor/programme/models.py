"""Programme model: SQLAlchemy 2.0 ORM tables for a binational programme.

One programme covers a corridor (origin -> destination, ISO 3166-1 alpha-3) and
holds its agreements, partner organisations, meetings, lines of work,
commitments, documents, a results framework (results -> indicators ->
baselines, targets, observations, revisions) with its monitoring data (training
sessions of catalogued courses and their participants, values entered by
partners), reporting periods with their approval state per partner, and the
finance of the programme (budget lines and transactions). Multilingual texts are
stored as JSON objects keyed by language code (``{"es": ..., "fr": ..., "en": ...}``).

The schema is created by the Alembic migrations in ``migrations/``; the
metadata here is the single source of truth and a test checks that the
migrated database matches it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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
    TypeDecorator,
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
RESULT_LEVELS = ("impact", "outcome", "output", "activity")
OBSERVATION_KINDS = ("baseline", "actual")
PERIOD_STATES = ("draft", "submitted", "approved", "locked")
SEXES = ("F", "M", "O", "U")  # female, male, other, not stated
TRANSACTION_KINDS = ("incoming_funds", "outgoing_commitment", "disbursement", "expenditure")


class Money(TypeDecorator):
    """An exact decimal amount, stored as text so SQLite and PostgreSQL keep the same digits."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


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
    evidence_meta: Mapped[dict | None] = mapped_column(JSON)
    source_file: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    actual_start: Mapped[dt.date | None] = mapped_column(Date)
    actual_end: Mapped[dt.date | None] = mapped_column(Date)
    currency: Mapped[str | None] = mapped_column(String(3))
    finance_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    recipient_countries: Mapped[list] = mapped_column(JSON, default=list)  # [{code, percentage}]
    sectors: Mapped[list] = mapped_column(JSON, default=list)  # [{vocabulary, code, percentage}]
    sdg: Mapped[list] = mapped_column(JSON, default=list)  # goal / target / indicator codes of the whole programme

    organisations: Mapped[list[Organisation]] = relationship(back_populates="programme", **_cascade())
    agreements: Mapped[list[Agreement]] = relationship(back_populates="programme", **_cascade())
    meetings: Mapped[list[Meeting]] = relationship(back_populates="programme", **_cascade())
    lines_of_work: Mapped[list[LineOfWork]] = relationship(back_populates="programme", **_cascade())
    commitments: Mapped[list[Commitment]] = relationship(back_populates="programme", **_cascade())
    documents: Mapped[list[Document]] = relationship(back_populates="programme", **_cascade())
    results: Mapped[list[Result]] = relationship(back_populates="programme", **_cascade())
    sessions: Mapped[list[TrainingSession]] = relationship(back_populates="programme", **_cascade())
    imports: Mapped[list[ImportBatch]] = relationship(back_populates="programme", **_cascade())
    courses: Mapped[list[Course]] = relationship(back_populates="programme", **_cascade())
    periods: Mapped[list[ReportingPeriod]] = relationship(back_populates="programme", **_cascade())
    budget_lines: Mapped[list[BudgetLine]] = relationship(back_populates="programme", **_cascade())
    transactions: Mapped[list[FinanceTransaction]] = relationship(back_populates="programme", **_cascade())
    revisions: Mapped[list[Revision]] = relationship(back_populates="programme", **_cascade())


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
    iati_roles: Mapped[list] = mapped_column(JSON, default=list)  # IATI OrganisationRole codes, as declared

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
    minutes: Mapped[dict | None] = mapped_column(JSON)

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
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(80))

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
    """An impact, outcome, output or activity of the results framework (IATI result @type 3, 2, 1 or 9)."""

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
    assumptions: Mapped[dict | None] = mapped_column(JSON)
    risks: Mapped[dict | None] = mapped_column(JSON)

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
    collection_method: Mapped[dict | None] = mapped_column(JSON)
    frequency: Mapped[str | None] = mapped_column(String(20))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    trajectory: Mapped[list] = mapped_column(JSON, default=list)  # declared [{date, value}] milestones

    result: Mapped[Result] = relationship(back_populates="indicators")
    responsible: Mapped[Organisation | None] = relationship()
    targets: Mapped[list[Target]] = relationship(back_populates="indicator", **_cascade())
    observations: Mapped[list[Observation]] = relationship(back_populates="indicator", **_cascade())
    values: Mapped[list[ManualValue]] = relationship(back_populates="indicator", **_cascade())


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
    unit: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

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
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    recorded_by: Mapped[str | None] = mapped_column(String(80))

    programme: Mapped[Programme] = relationship(back_populates="imports")
    organisation: Mapped[Organisation | None] = relationship()


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
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))

    programme: Mapped[Programme] = relationship(back_populates="sessions")
    course: Mapped[Course | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    participants: Mapped[list[TrainingParticipant]] = relationship(back_populates="session", **_cascade())


class TrainingParticipant(Base):
    __tablename__ = "training_participant"
    __table_args__ = (
        UniqueConstraint("session_id", "participant_code"),
        CheckConstraint(f"sex IN {SEXES!r}", name="sex"),
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
    age_band: Mapped[str | None] = mapped_column(String(10))
    nationality: Mapped[str | None] = mapped_column(String(3))
    migratory_status: Mapped[str | None] = mapped_column(String(20))

    session: Mapped[TrainingSession] = relationship(back_populates="participants")


class Course(Base):
    """A course of the programme's training catalogue: its sessions count only toward its output."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    title: Mapped[dict] = mapped_column(JSON)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line_of_work.id", ondelete="SET NULL"))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("result.id", ondelete="SET NULL"))

    programme: Mapped[Programme] = relationship(back_populates="courses")
    line: Mapped[LineOfWork | None] = relationship()
    result: Mapped[Result | None] = relationship()


class ReportingPeriod(Base):
    """A reporting period of the programme (a year or a quarter)."""

    __tablename__ = "reporting_period"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)

    programme: Mapped[Programme] = relationship(back_populates="periods")
    approvals: Mapped[list[PeriodApproval]] = relationship(back_populates="period", **_cascade())


class PeriodApproval(Base):
    """Where one partner's data of one period stands: draft, submitted, approved or locked."""

    __tablename__ = "period_approval"
    __table_args__ = (
        UniqueConstraint("period_id", "organisation_id"),
        CheckConstraint(f"state IN {PERIOD_STATES!r}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default="draft")
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    changed_by: Mapped[str] = mapped_column(String(80))

    period: Mapped[ReportingPeriod] = relationship(back_populates="approvals")
    organisation: Mapped[Organisation] = relationship()
    events: Mapped[list[PeriodEvent]] = relationship(back_populates="approval", **_cascade())


class PeriodEvent(Base):
    """One change of an approval state: who, when, from, to, why (unlocks are marked)."""

    __tablename__ = "period_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(ForeignKey("period_approval.id", ondelete="CASCADE"))
    from_state: Mapped[str] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)

    approval: Mapped[PeriodApproval] = relationship(back_populates="events")


class ManualValue(Base):
    """A value entered by a partner for one indicator, area and period (in total or for one disaggregation)."""

    __tablename__ = "manual_value"
    __table_args__ = (UniqueConstraint("indicator_id", "organisation_id", "period_id", "area", "dimension_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(String(10))
    dimension: Mapped[dict] = mapped_column(JSON, default=dict)
    dimension_key: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    entered_by: Mapped[str] = mapped_column(String(80))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    indicator: Mapped[Indicator] = relationship(back_populates="values")
    organisation: Mapped[Organisation] = relationship()
    period: Mapped[ReportingPeriod] = relationship()


class Revision(Base):
    """One change to a stored value or record: what, from, to, who, when and why."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(20))  # baseline, actual, value, commitment, meeting
    code: Mapped[str] = mapped_column(String(80))  # indicator, commitment or meeting code
    period: Mapped[str | None] = mapped_column(String(20))
    dimension: Mapped[dict] = mapped_column(JSON, default=dict)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(80))
    why: Mapped[str | None] = mapped_column(Text)

    programme: Mapped[Programme] = relationship(back_populates="revisions")


class BudgetLine(Base):
    """Planned money for one line of work and period (IATI budget: at most a year)."""

    __tablename__ = "budget_line"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line_of_work.id", ondelete="SET NULL"))
    title: Mapped[dict | None] = mapped_column(JSON)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    value_date: Mapped[dt.date] = mapped_column(Date)
    revised: Mapped[bool] = mapped_column(Boolean, default=False)

    programme: Mapped[Programme] = relationship(back_populates="budget_lines")
    line: Mapped[LineOfWork | None] = relationship()


class FinanceTransaction(Base):
    """Money received, committed, disbursed or spent (IATI transaction types 1, 2, 3, 4)."""

    __tablename__ = "finance_transaction"
    __table_args__ = (
        UniqueConstraint("programme_id", "code"),
        CheckConstraint(f"kind IN {TRANSACTION_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line_of_work.id", ondelete="SET NULL"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    description: Mapped[dict | None] = mapped_column(JSON)

    programme: Mapped[Programme] = relationship(back_populates="transactions")
    line: Mapped[LineOfWork | None] = relationship()
    provider: Mapped[Organisation | None] = relationship(foreign_keys=[provider_id])
    receiver: Mapped[Organisation | None] = relationship(foreign_keys=[receiver_id])
