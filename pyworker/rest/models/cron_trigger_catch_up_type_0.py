from enum import StrEnum

class CronTriggerCatchUpType0(StrEnum):
    ONCE = "once"
    SKIP = "skip"

    def __str__(self) -> str:
        return str(self.value)
