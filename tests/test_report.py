import pytest
import torch
from IPython.core.formatters import PlainTextFormatter

from nnlab import report


def test_table_aligns_and_validates(capsys):
    text = report.format_table(["width", "err"], [[1, 0.5], [64, torch.tensor(0.00123)]], [".0f", ".2e"])
    assert text.splitlines()[2] == "    1  5.00e-01"
    assert report.table(["width", "err"], [[64, 0.00123]], ["d", ".2e"]) is None
    assert "64  1.23e-03" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"rows\[0\] must have 2 values"):
        report.format_table(["a", "b"], [[1]])
    with pytest.raises(ValueError, match="formats must have 2"):
        report.format_table(["a", "b"], [[1, 2]], ["d"])


def test_glue_stores_the_rounded_text_shown_without_quotes(monkeypatch):
    import myst_nb

    stored = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: stored.update({name: (value, display)}))
    report.glue("slope", torch.tensor(-1.949), ".2f")
    report.glue("count", 7)
    value, display = stored["slope"]
    assert PlainTextFormatter()(value) == "-1.95" and display is False  # what {glue} renders
    assert PlainTextFormatter()(stored["count"][0]) == "7"
