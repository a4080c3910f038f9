from enum import StrEnum

class ReplayRequestStartFrom(StrEnum):
    FAILED = "failed"
    START = "start"

    def __str__(self) -> str:
        return str(self.value)
