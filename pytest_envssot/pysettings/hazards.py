"""Text known to break at least one consumer (no hypothesis here: the round trip tries these,
and reads its stored verdicts, without importing it)."""

# Mixed into unconstrained strings by the strategies, and tried first by the round trip.
HAZARDS = (
    "${A}", "${}", "$A", "$(id)", "`id`", '"', "'", "\\", "\\n", " ", "#", " #x", "~",
    "\x1b", "\x00", "\t", "\n", "\u00a0", "\u200d", "\U0001f468\u200d\U0001f469", "é", ";",
)  # fmt: skip
# Text that breaks a value composed into a URL or quoted line, tried by the composed round trip.
COMPOSITION_HAZARDS = ("@", "/", "#", "?", ":", "%", "%41", " ", '"', "\\", "'", "$", "${A}")
