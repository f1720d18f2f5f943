"""The setup wizard: six steps (``steps``), one dispatcher (``views``), thin forms."""
