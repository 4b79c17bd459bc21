"""A wrong command-line argument is one line on stderr, naming the argument."""

from __future__ import annotations

import pytest

from clientseg.cli import main


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "--as-of", "2026-02-30"],
     "clientseg run: error: argument --as-of: not an ISO date (YYYY-MM-DD): '2026-02-30' "
     "(see clientseg run --help)\n"),
    (["run"], "clientseg run: error: the following arguments are required: --as-of "
              "(see clientseg run --help)\n"),
    (["frobnicate"], None),
])
def test_a_wrong_argument_is_one_line(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("clientseg")
    if expected:
        assert err == expected
