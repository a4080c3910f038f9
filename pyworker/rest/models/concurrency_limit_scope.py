from enum import StrEnum

class ConcurrencyLimitScope(StrEnum):
    ACTION = "action"
    TENANT = "tenant"

    def __str__(self) -> str:
        return str(self.value)
