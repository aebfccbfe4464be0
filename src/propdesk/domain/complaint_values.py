"""Complaint vocabularies (投诉, seed-spec §2.1 E): severity, subject, liability, satisfaction.

Like :mod:`propdesk.domain.values`, each enum's values are stable strings written into stored
events: once released, a value is never renamed. The SLA policy's complaint goals test
``severity`` by these values (``sla_seeds.toml``: ``when = { severity = ["major"] }``).
"""

from __future__ import annotations

from enum import StrEnum


class ComplaintSeverity(StrEnum):
    """How serious a valid complaint is (S1:L418 ⑤); picks the goals it is held to."""

    MAJOR = "major"
    """重大投诉: seriously affects residents' daily life or safety, or the company's image;
    the project head (项目总) is told the same day (T35)."""
    IMPORTANT = "important"
    """重要投诉: a management or service-work mistake; to the department head (部门主管)
    within 1 hour (T38), or to the project manager at once (S3:L27, T40)."""
    MINOR = "minor"
    """轻微投诉: an isolated matter or one member of staff; resolved within 2 days or by the
    resident's own deadline (T41)."""


class ComplaintSubject(StrEnum):
    """The complaint type (投诉类型, S0:L470), by subject as the seeds name them (§2.1 E).

    The seeds give no closed list; ``other`` takes what the named ones do not.
    """

    ENGINEERING = "engineering"
    """工程方面的投诉 (S3:L25)."""
    SERVICE = "service"
    """服务及其他方面的投诉 (S3:L26)."""
    BUILDING = "building"
    """房屋及其附属设施的投诉 (S1:L415)."""
    DECORATION = "decoration"
    """装修方面投诉 (S2 §4.4)."""
    CLEANING = "cleaning"
    """清洁卫生投诉 (S2 §5.6)."""
    OTHER = "other"


class ComplaintLiability(StrEnum):
    """Who is at fault (S1:L415 ②); it decides how the complaint is handled."""

    COMPANY = "company"
    """物业公司存在过错或有责任: apologise, negotiate, satisfy reasonable demands."""
    RESIDENT_OR_NEIGHBOUR = "resident_or_neighbour"
    """住户或邻居的责任: explain and coordinate."""
    SHARED = "shared"
    """各方都有责任: the heads of every related department are called to the scene."""
    UNDETERMINED = "undetermined"
    """Not known yet when the complaint is classified **(inferred)**."""


class ComplaintSatisfaction(StrEnum):
    """The complainant's satisfaction at close-out (满意度, S0:L80 4-5; S1:L337 (2)).

    The seeds name the survey, not its scale; these three grades are **(inferred)**.
    """

    SATISFIED = "satisfied"
    """满意."""
    BASICALLY_SATISFIED = "basically_satisfied"
    """基本满意."""
    UNSATISFIED = "unsatisfied"
    """不满意."""
