"""Placeholder: filled in by the emulator work of issue 6."""


def install():
    pass
