from enum import StrEnum

class TaskEventStatus(StrEnum):
    ASSIGNED = "assigned"
    CANCELLED = "cancelled"
    FAILED = "failed"
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    WAITING = "waiting"

    def __str__(self) -> str:
        return str(self.value)
