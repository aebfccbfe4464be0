"""The demo: a seeded discrete-event simulation of one working day at an estate's repair desk.

A few hundred repair requests (报事报修) arrive between 08:00 and 20:00 by phone, visit,
WeChat and letter. Each request is a *story*: a generator that yields the next step of its
ticket (a time and a :class:`~propdesk.domain.commands.Command`) and receives the desk's
answer. One heap of ``(time, seq, ticket, command)`` entries orders every pending step of every
story; the engine pops the earliest, moves the shared :class:`~propdesk.testing.ManualClock`
to it, and hands the command to :meth:`~propdesk.application.desk.Desk.execute`. Nothing is
written around the desk: every step is an ordinary command.

Most requests take the happy path; a seeded deck deals the rest a twist (a refusal chain up to
the project manager, a reschedule, nobody at home, an item outside the price list, a resident
who declines on site, an unhappy callback). Follow-up work (callbacks, fees, reworks) runs
into the following days up to a horizon; whatever would happen later stays open.

The package prints nothing: :func:`simulate` returns a :class:`DemoRun`, and the report is read
back from the desk by the CLI. Its modules, from the entry point down:

- ``simulation``: :func:`demo_clock` and :func:`simulate`;
- ``settings``: :class:`DemoSettings`, :class:`DemoRun` and :data:`DEMO_DAY`;
- ``plans``: the deck, which deals each request a plan and a twist;
- ``story``, ``visit``, ``tale`` and ``fees``: the stories each ticket follows;
- ``engine``: the discrete-event loop;
- ``cast``: who plays which part, and office hours;
- ``catalogue``: repair items and the Chinese texts the stories use.
"""

from propdesk.demo.settings import DEMO_DAY, DemoRun, DemoSettings
from propdesk.demo.simulation import demo_clock, simulate

__all__ = ["DEMO_DAY", "DemoRun", "DemoSettings", "demo_clock", "simulate"]
