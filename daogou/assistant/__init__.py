"""The conversational shopping guide and customer service: dialogue state, policy answers, reply builders, grounding checker."""

from daogou.assistant.answers import Reply
from daogou.assistant.service import Assistant, Services

__all__ = ["Assistant", "Reply", "Services"]
