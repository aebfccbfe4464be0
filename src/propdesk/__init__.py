"""propdesk: an event-sourced work-order engine for a property-management service desk.

Open a desk, log a repair (报修), and drive it through its life::

    import propdesk
    from propdesk.testing import sample_organisation

    desk = propdesk.open_desk("sqlite:///desk.db", organisations=[sample_organisation()])
    result = desk.execute(propdesk.LogRepair(actor="desk-huang", ...))

Every name below is public and stable; everything else may change.
"""

from propdesk.application.calendars import china_calendar, load_calendar_overrides
from propdesk.application.clock import Clock, SystemClock
from propdesk.application.complaint_view import ComplainantView, ComplaintView
from propdesk.application.configuration import default_policy, load_organisation, load_policy
from propdesk.application.desk import Desk, TicketView, open_desk
from propdesk.application.goal_view import GoalState, GoalView
from propdesk.application.views import CommandResult, HistoryEntry, OwnerView, RepairView
from propdesk.application.what_if import GoalComparison, RunCompared, WhatIfReport, what_if
from propdesk.domain.calendar import WorkingCalendar
from propdesk.domain.calendar_years import CalendarYearUnknown, YearSchedule
from propdesk.domain.commands import (
    AcceptQuote,
    AmendItem,
    ChangePolicy,
    CheckArrival,
    Close,
    Command,
    Complete,
    ConfirmNoStaff,
    DeclareNotRepairable,
    DeclineOnSite,
    DeclineQuote,
    Dispatch,
    DoorAnswered,
    Escalate,
    EscalateOverdueDispatch,
    HandOverFee,
    KnockUnanswered,
    LeaveForRevisit,
    LogRepair,
    OwnerContact,
    Quote,
    RaiseCallback,
    RecordCallback,
    RecordGoalBreach,
    RecordGoalWarning,
    RecordLeakTest,
    RecordOwnerComplaint,
    RedispatchForVisit,
    Refuse,
    ReportArrival,
    Reschedule,
    SettleFee,
    StartCostReview,
    StartRepair,
    Submit,
    TicketCommand,
    Verify,
)
from propdesk.domain.complaint_commands import (
    ApprovePlan,
    ClassifyComplaint,
    CloseAsInvalid,
    ConfirmResolution,
    ContactCustomer,
    DeferComplaint,
    EscalateOverdue,
    GiveAnswer,
    LinkRepair,
    LogComplaint,
    ReportResult,
    ResolveComplaint,
    RouteComplaint,
)
from propdesk.domain.complaint_lifecycle import ComplaintState
from propdesk.domain.complaint_values import (
    ComplaintLiability,
    ComplaintSatisfaction,
    ComplaintSeverity,
    ComplaintSubject,
)
from propdesk.domain.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    DatabaseNotInitialised,
    IllegalStep,
    InvalidCommand,
    PropdeskError,
    RuleViolation,
    TicketAlreadyExists,
    UnauthorisedActor,
    UnknownTicket,
)
from propdesk.domain.goal_runs import Outcome
from propdesk.domain.goals import CLOCK_EVENTS
from propdesk.domain.lifecycle import LIFECYCLE, RepairState
from propdesk.domain.organisation import Organisation, Person
from propdesk.domain.rules import RepairRules
from propdesk.domain.sla_policy import Goal, GoalClock, Policy
from propdesk.domain.values import (
    Channel,
    ContactChannel,
    FeeStatus,
    RepairCategory,
    RepairScope,
    RescheduleKind,
    Role,
)
from propdesk.persistence.store import StoreUnavailable, init_schema

__version__ = "0.1.0"

__all__ = [
    "CLOCK_EVENTS",
    "LIFECYCLE",
    "AcceptQuote",
    "AmendItem",
    "ApprovePlan",
    "CalendarYearUnknown",
    "ChangePolicy",
    "Channel",
    "CheckArrival",
    "ClassifyComplaint",
    "Clock",
    "Close",
    "CloseAsInvalid",
    "Command",
    "CommandResult",
    "ComplainantView",
    "ComplaintLiability",
    "ComplaintSatisfaction",
    "ComplaintSeverity",
    "ComplaintState",
    "ComplaintSubject",
    "ComplaintView",
    "Complete",
    "ConcurrencyConflict",
    "ConfigurationError",
    "ConfirmNoStaff",
    "ConfirmResolution",
    "ContactChannel",
    "ContactCustomer",
    "DatabaseNotInitialised",
    "DeclareNotRepairable",
    "DeclineOnSite",
    "DeclineQuote",
    "DeferComplaint",
    "Desk",
    "Dispatch",
    "DoorAnswered",
    "Escalate",
    "EscalateOverdue",
    "EscalateOverdueDispatch",
    "FeeStatus",
    "GiveAnswer",
    "Goal",
    "GoalClock",
    "GoalComparison",
    "GoalState",
    "GoalView",
    "HandOverFee",
    "HistoryEntry",
    "IllegalStep",
    "InvalidCommand",
    "KnockUnanswered",
    "LeaveForRevisit",
    "LinkRepair",
    "LogComplaint",
    "LogRepair",
    "Organisation",
    "Outcome",
    "OwnerContact",
    "OwnerView",
    "Person",
    "Policy",
    "PropdeskError",
    "Quote",
    "RaiseCallback",
    "RecordCallback",
    "RecordGoalBreach",
    "RecordGoalWarning",
    "RecordLeakTest",
    "RecordOwnerComplaint",
    "RedispatchForVisit",
    "Refuse",
    "RepairCategory",
    "RepairRules",
    "RepairScope",
    "RepairState",
    "RepairView",
    "ReportArrival",
    "ReportResult",
    "Reschedule",
    "RescheduleKind",
    "ResolveComplaint",
    "Role",
    "RouteComplaint",
    "RuleViolation",
    "RunCompared",
    "SettleFee",
    "StartCostReview",
    "StartRepair",
    "StoreUnavailable",
    "Submit",
    "SystemClock",
    "TicketAlreadyExists",
    "TicketCommand",
    "TicketView",
    "UnauthorisedActor",
    "UnknownTicket",
    "Verify",
    "WhatIfReport",
    "WorkingCalendar",
    "YearSchedule",
    "__version__",
    "china_calendar",
    "default_policy",
    "init_schema",
    "load_calendar_overrides",
    "load_organisation",
    "load_policy",
    "open_desk",
    "what_if",
]
