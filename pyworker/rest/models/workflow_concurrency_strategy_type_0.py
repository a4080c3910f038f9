from enum import StrEnum

class WorkflowConcurrencyStrategyType0(StrEnum):
    CANCEL_IN_PROGRESS = "CANCEL_IN_PROGRESS"
    CANCEL_NEWEST = "CANCEL_NEWEST"
    GROUP_ROUND_ROBIN = "GROUP_ROUND_ROBIN"

    def __str__(self) -> str:
        return str(self.value)
