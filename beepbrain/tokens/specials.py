"""The token ids every BeepBrain vocabulary shares: ``PAD``, ``BOS``, ``EOS`` and ``BAR`` are 0-3 in both
tokenizers, so the loader, the shards and the windows find songs and bar lines whichever wrote them."""

SHARED_SPECIALS = ("PAD", "BOS", "EOS", "BAR")
PAD, BOS, EOS, BAR = range(len(SHARED_SPECIALS))
