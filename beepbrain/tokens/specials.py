"""The token ids every BeepBrain vocabulary shares: ``PAD``, ``BOS``, ``EOS`` and ``BAR`` are 0-3 in both
tokenizers, so the loader, the shards and the windows find songs and bar lines whichever wrote them."""

SHARED_SPECIALS = ("PAD", "BOS", "EOS", "BAR")
PAD, BOS, EOS, BAR = range(len(SHARED_SPECIALS))


class TokenNames:
    """What every vocabulary answers by name: its size, a token's name, a name's token (from the ``names``
    list and the ``ids`` dict the vocabulary sets)."""

    names: list[str]
    ids: dict[str, int]

    def __len__(self) -> int:
        return len(self.names)

    def name(self, token: int) -> str:
        return self.names[int(token)]

    def id(self, name: str) -> int:
        return self.ids[name]
