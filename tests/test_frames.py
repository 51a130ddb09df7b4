"""nnlab.frames: which frames explore pre-renders, and the offline player that shows them."""

import base64
import itertools
import json
import re

import matplotlib.pyplot as plt
import pytest

from nnlab import frames


def test_a_list_control_renders_every_value_and_a_declared_subset_keeps_the_default():
    assert frames.frame_values("w", [8, 16, 32], 16) == [8, 16, 32]
    assert frames.frame_values("w", [8, 16, 32, 64], 16, declared=[64, 8]) == [8, 16, 64]  # slider order
    with pytest.raises(ValueError, match=r"frames\['w'\]"):
        frames.frame_values("w", [8, 16], 8, declared=[12])


def test_a_numeric_slider_gets_evenly_spaced_steps_plus_its_default():
    v = frames.frame_values("s", (0.0, 0.98, 0.02), 0.86)
    assert v[0] == 0.0 and v[-1] == 0.98 and 0.86 in v and len(v) == frames.DEFAULT_POINTS + 1
    assert all(abs(x / 0.02 - round(x / 0.02)) < 1e-9 for x in v)  # on the slider's steps
    ints = frames.frame_values("n", (1, 64), 8)
    assert all(isinstance(x, int) for x in ints) and ints[0] == 1 and ints[-1] == 64 and 8 in ints
    assert frames.frame_values("a", (0.25, 2.0, 0.25), 0.5, declared=[1.0, 2.0]) == [0.5, 1.0, 2.0]
    with pytest.raises(ValueError, match="slider range"):
        frames.frame_values("a", (0.25, 2.0, 0.25), 0.5, declared=[3.0])


def test_the_grid_is_the_product_and_is_bounded():
    grid = frames.frame_grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert grid == [{"a": a, "b": b} for a, b in itertools.product([1, 2], "xyz")]
    with pytest.raises(ValueError, match="at most"):
        frames.frame_grid({"a": list(range(7)), "b": list(range(7))})  # 49 > 48


def test_the_player_holds_one_frame_per_combination_and_opens_on_the_default():
    drawn = []

    def render(config):
        drawn.append(dict(config))
        return base64.b64encode(json.dumps(config, sort_keys=True).encode()).decode()

    values = {"width": [8, 16, 32], "kind": ["ntk", "mup"]}
    block, default = frames.player_html("p1", values, {"width": 16, "kind": "mup"}, render)
    assert len(drawn) == 6
    data = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', block, re.S).group(1))
    assert data["controls"] == ["width", "kind"]
    for key, png in data["frames"].items():  # the key is the control indices of that frame
        i, j = map(int, key.split(","))
        assert json.loads(base64.b64decode(png)) == {"width": values["width"][i], "kind": values["kind"][j]}
    assert json.loads(base64.b64decode(default)) == {"width": 16, "kind": "mup"}
    assert f'src="data:image/png;base64,{default}"' in block  # the static image is the default frame
    assert block.count("<select") == 1 and block.count('type="range"') == 1
    assert 'value="1"' in block and "<output>16</output>" in block


def test_figure_png_is_a_png_and_closes_the_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    png = base64.b64decode(frames.figure_png(fig))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and not plt.fignum_exists(fig.number)


def test_a_label_cannot_close_the_players_script():
    block, _ = frames.player_html("p2", {"kind": ["a</script>b", "c"]}, {"kind": "c"}, lambda config: "AAAA")
    data = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', block, re.S).group(1)
    assert json.loads(data)["labels"]["kind"] == ["a</script>b", "c"]
