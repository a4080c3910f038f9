from enum import StrEnum

class ListWorkersStatusType0Item(StrEnum):
    ACTIVE = "active"
    DEAD = "dead"
    DRAINING = "draining"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return str(self.value)
