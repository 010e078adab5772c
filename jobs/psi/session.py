"""One protocol run per session: steps in order, each once, nothing after an abort.

Each party object keeps one ``StepTracker``. A message is checked before it is
used, and a refused message leaves the party exactly as it was, so a replay or a
stray message cannot disturb an honest run; an abort is final.
"""

from __future__ import annotations

from jobs.psi.errors import MessageReplayed, ProtocolAborted, SessionMismatch, UnexpectedMessage


class StepTracker:
    def __init__(self, session_id: str, steps: tuple[str, ...]) -> None:
        self.session_id = session_id
        self._steps = steps
        self._next = 0
        self.aborted = False

    @property
    def finished(self) -> bool:
        return self._next == len(self._steps)

    def check(self, step: str, session_id: str | None = None) -> None:
        """Refuse ``step`` unless it is the next one of this (live) session."""
        if self.aborted:
            raise ProtocolAborted()
        if session_id is not None and session_id != self.session_id:
            raise SessionMismatch(step)
        if step in self._steps[: self._next]:
            raise MessageReplayed(step)
        expected = self._steps[self._next] if not self.finished else "nothing"
        if step != expected:
            raise UnexpectedMessage(step, expected)

    def done(self, step: str) -> None:
        self.check(step)
        self._next += 1

    def abort(self) -> None:
        self.aborted = True
