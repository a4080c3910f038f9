from enum import StrEnum

class EventWaitOnTimeoutType0(StrEnum):
    FAIL = "fail"
    SKIP = "skip"

    def __str__(self) -> str:
        return str(self.value)
