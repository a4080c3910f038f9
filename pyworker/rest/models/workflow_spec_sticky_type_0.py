from enum import StrEnum

class WorkflowSpecStickyType0(StrEnum):
    HARD = "hard"
    SOFT = "soft"

    def __str__(self) -> str:
        return str(self.value)
