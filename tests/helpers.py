"""Small builders shared by the tests (pytest puts this folder on sys.path)."""

from trainer.documents import Entity


def mention(
    text: str, entity_id: str, surface: str, label: str, status: str | None = None, start_from: int = 0
) -> Entity:
    """The entity at the first occurrence of ``surface`` in ``text`` at or after ``start_from``."""
    start = text.index(surface, start_from)
    return Entity(entity_id, start, start + len(surface), label, surface, status)
