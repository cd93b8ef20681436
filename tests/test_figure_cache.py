"""Figures are drawn once per input and read back from the cache, byte for byte."""

from __future__ import annotations

from derive.render.figure_cache import cached_figures


def test_figures_are_drawn_once_per_input_and_redrawn_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    drawn: list[int] = []

    def draw(value: int):
        def make() -> dict[str, bytes]:
            drawn.append(value)
            return {"a.pdf": bytes([value, 0, 255])}

        return make

    first = cached_figures("test", {"x": 1}, draw(1))
    assert cached_figures("test", {"x": 1}, draw(9)) == first == {"a.pdf": b"\x01\x00\xff"}
    assert drawn == [1]
    assert cached_figures("test", {"x": 2}, draw(2)) == {"a.pdf": b"\x02\x00\xff"}
    assert drawn == [1, 2]
    for entry in tmp_path.glob("*.figures.json"):
        entry.write_text(entry.read_text().replace('"a.pdf"', '"b.pdf"'))
    assert cached_figures("test", {"x": 1}, draw(3)) == {"a.pdf": b"\x03\x00\xff"}
    assert drawn == [1, 2, 3]
