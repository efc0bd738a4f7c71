"""Channel `feed` (see client.py)."""

from .client import (
           KIND,
           SPEC,
           FeedChannel,
           FeedRefused,
           FeedRules,
           parse_document,
           process_document,
)

__all__ = ["KIND", "SPEC", "FeedChannel", "FeedRefused", "FeedRules", "parse_document",
           "process_document"]
