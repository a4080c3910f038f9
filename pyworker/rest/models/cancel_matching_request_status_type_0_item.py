from enum import StrEnum

class CancelMatchingRequestStatusType0Item(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"

    def __str__(self) -> str:
        return str(self.value)
