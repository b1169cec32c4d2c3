"""settings: STACKWRIGHT_EMULATOR_DELAY, the lifecycle delay every extension reads."""

import pytest

from stackwright_emulator import settings


@pytest.mark.parametrize(
    "value, expected",
    [(None, 2.0), ("", 2.0), ("0", 0.0), ("0.25", 0.25), ("5", 5.0), ("-1", 0.0), ("soon", 2.0)],
)
def test_delay_reads_the_environment(monkeypatch, value, expected):
    # The emulator's own setting (tests/emulator/README.md): seconds, default 2, 0 turns lifecycles
    # off; a negative value counts as 0 and an unreadable one as the default. It models the time an
    # AWS resource spends in a transitional state, e.g. an ECS deployment IN_PROGRESS
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html).
    if value is None:
        monkeypatch.delenv(settings.ENV, raising=False)
    else:
        monkeypatch.setenv(settings.ENV, value)
    assert settings.delay() == expected


def test_elapsed_fraction():
    # A transition of 0 seconds is complete at once; otherwise the fraction grows from 0 to 1.
    start = settings.now()
    assert settings.elapsed_fraction(start, 0) == 1.0
    assert 0.0 <= settings.elapsed_fraction(start, 3600) < 0.01
    assert settings.elapsed_fraction(start - 7200, 3600) == 1.0
    assert settings.is_done(start, 0)
    assert not settings.is_done(start, 3600)
