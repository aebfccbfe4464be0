"""The demo: a seeded discrete-event simulation of working days at an estate's service desk.

Each day, a few hundred repair requests (报事报修) and a few complaints (投诉) arrive from
08:00 into the evening by phone, visit, WeChat, letter and online. Each is a *story*: a
generator that yields the next step of its ticket (a time and a
:class:`~propdesk.domain.commands.Command`) and receives the desk's answer. One heap of
``(time, seq, ticket, command)`` entries orders every pending step of every story; the engine
pops the earliest, moves the shared :class:`~propdesk.testing.ManualClock` to it, and hands the
command to :meth:`~propdesk.application.desk.Desk.execute`. Nothing is written around the desk:
every step is an ordinary command.

Each day is dealt from a deck of its own when it begins (the first day's repairs as when the
demo simulated one day), weekends included. Most requests take the happy path; the deck deals
the rest a twist: for repairs, a refusal chain up to the project manager, a reschedule, nobody
at home, an item outside the price list, a resident who declines on site, an unhappy callback;
for complaints, an urgent or major one, a big problem, an invalid one, a deferral, a reopening,
an overdue escalation, a complaint about one of the day's repairs. Follow-up work (callbacks,
fees, reworks, complaint handling) runs into the days after the last, up to a horizon;
whatever would happen later stays open.

The package prints nothing: :func:`simulate` returns a :class:`DemoRun`, and the report is read
back from the desk by the CLI. Its modules, from the entry point down:

- ``simulation``: :func:`demo_clock` and :func:`simulate`;
- ``settings``: :class:`DemoSettings`, :class:`DemoRun` and :data:`DEMO_DAY`;
- ``plans``: the repair deck, which deals each request a plan and a twist;
- ``story``, ``visit``, ``tale`` and ``fees``: the stories each repair follows;
- ``complaint_plans`` and ``complaint_story``: the complaint deck, and each complaint's story;
- ``engine``: the discrete-event loop;
- ``cast`` and ``complaint_cast``: who plays which part, and office hours;
- ``catalogue`` and ``complaint_catalogue``: repair items, complaint matters, and the Chinese
  texts the stories use.
"""

from propdesk.demo.settings import DEMO_DAY, DemoRun, DemoSettings
from propdesk.demo.simulation import demo_clock, simulate

__all__ = ["DEMO_DAY", "DemoRun", "DemoSettings", "demo_clock", "simulate"]
