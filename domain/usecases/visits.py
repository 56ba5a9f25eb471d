"""The combined notice of a joint visit (R-EXEC-3): one per drawn subject, issued by the lead before the day."""
from __future__ import annotations

import base64
import secrets
from uuid import UUID

from domain.usecases.base import Actor, CommandResult, UseCases


def verification_code() -> str:
    """16 characters of base32 (80 random bits): printed on the notice, too long to guess."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


class VisitUseCases(UseCases):
    def issue_visit_notices(self, task_id: UUID, actor: Actor) -> CommandResult:
        """Refused when an item of the task keeps the visit unannounced (the checklist says so)."""
        with self.transaction():
            task = self.get_task(task_id)
            refs = self.checklist.item_refs(list(task.items))
            unannounced = [i for i in task.items if i in refs and refs[i].unannounced]
            notices = task.issue_visit_notices(
                department=actor.department, is_office=actor.is_office, unannounced_items=unannounced,
                codes={s: verification_code() for s in task.drawn_subjects}, now=self.clock.now(),
                actor=actor.as_record())
            for notice in notices:  # the enterprise finds its notice, the visitors and its results by the code
                self.visit_codes.note(notice["code"], task.id, notice["subject"])
            saved = self._save(task)
            return CommandResult(aggregate_id=task.id, position=saved.position, aggregate=notices)
